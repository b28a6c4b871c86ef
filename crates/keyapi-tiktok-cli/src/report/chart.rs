//! The report's charts as inline SVG written through maud: a video's rank sparkline, and
//! the top ten's ranks over the span, rank 1 at the top. Every number is ours; labels go
//! through maud's escaping like the rest of the page.

use maud::{Markup, html};

/// How many series the rank chart draws (the colours `.s0`…`.s9` in the page's CSS).
pub(crate) const CHART_SERIES: usize = 10;

/// A sparkline's size in CSS pixels.
const SPARK: (f64, f64) = (120.0, 28.0);
/// The rank chart's size, and its margins for the axes' labels (left, top, right, bottom).
const CHART: (f64, f64) = (760.0, 320.0);
const MARGIN: (f64, f64, f64, f64) = (44.0, 12.0, 16.0, 28.0);

/// Where the `index`th of `count` points sits between `left` and `right`.
fn x_at(index: usize, count: usize, left: f64, right: f64) -> f64 {
    if count < 2 {
        return (left + right) / 2.0;
    }
    left + (right - left) * index as f64 / (count - 1) as f64
}

/// Where `rank` sits between `top` (for `best`) and `bottom` (for `worst`).
fn y_at(rank: u64, (best, worst): (u64, u64), top: f64, bottom: f64) -> f64 {
    if worst <= best {
        return (top + bottom) / 2.0;
    }
    let share = (rank.clamp(best, worst) - best) as f64 / (worst - best) as f64;
    top + (bottom - top) * share
}

/// The runs of two or more consecutive known points, each as a polyline's `points` (a
/// point alone is drawn as a dot).
fn runs(points: &[Option<(f64, f64)>]) -> Vec<String> {
    points
        .split(Option::is_none)
        .filter(|run| run.len() > 1)
        .map(|run| {
            run.iter()
                .flatten()
                .map(|(x, y)| format!("{x:.1},{y:.1}"))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

/// Whether the point at `index` has no known neighbour to draw a line to.
fn isolated(points: &[Option<(f64, f64)>], index: usize) -> bool {
    let known = |at: Option<usize>| {
        at.and_then(|at| points.get(at))
            .is_some_and(Option::is_some)
    };
    !known(index.checked_sub(1)) && !known(index.checked_add(1))
}

/// `3, 1, -, 2`: ranks as a tooltip reads them.
pub(crate) fn rank_list(ranks: &[Option<u64>]) -> String {
    ranks
        .iter()
        .map(|rank| rank.map_or_else(|| "-".to_owned(), |rank| rank.to_string()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A video's rank over the span as a small line, its best rank at the top, each row on
/// its own scale; gaps where it was not ranked (or the ranking is not stored).
pub(crate) fn sparkline(ranks: &[Option<u64>]) -> Markup {
    let (width, height) = SPARK;
    let known = ranks.iter().flatten();
    let bounds = (
        known.clone().copied().min().unwrap_or(1),
        known.copied().max().unwrap_or(1),
    );
    let points: Vec<_> = ranks
        .iter()
        .enumerate()
        .map(|(index, rank)| {
            rank.map(|rank| {
                (
                    x_at(index, ranks.len(), 3.0, width - 3.0),
                    y_at(rank, bounds, 3.0, height - 3.0),
                )
            })
        })
        .collect();
    let last = points.last().copied().flatten();
    html! {
        svg class="spark" viewBox={ "0 0 " (width) " " (height) } width=(width) height=(height)
            role="img" aria-label={ "rank, oldest first: " (rank_list(ranks)) } {
            title { "rank, oldest first: " (rank_list(ranks)) }
            @for run in runs(&points) {
                polyline points=(run) {}
            }
            // A period alone between gaps is a dot, not an invisible line.
            @for (index, point) in points.iter().enumerate() {
                @if let (Some((x, y)), true) = (point, isolated(&points, index)) {
                    circle cx=(format!("{x:.1}")) cy=(format!("{y:.1}")) r="1.5" {}
                }
            }
            @if let Some((x, y)) = last {
                circle cx=(format!("{x:.1}")) cy=(format!("{y:.1}")) r="2.5" {}
            }
        }
    }
}

/// One line of the rank chart: its legend label and its ranks over the span.
pub(crate) struct Series<'a> {
    /// What the legend says (the video's rank and creator).
    pub(crate) label: String,
    /// Its rank in each period, oldest first.
    pub(crate) ranks: &'a [Option<u64>],
}

/// Which of `count` dates are labelled: at most `labels`, evenly spread, both ends
/// included.
fn labelled(count: usize, labels: usize) -> Vec<usize> {
    if count <= labels {
        return (0..count).collect();
    }
    let last = count - 1;
    (0..labels)
        .map(|label| (label * last + (labels - 1) / 2) / (labels - 1))
        .collect()
}

/// Tick marks for ranks 1 to `worst`: 1, a round step giving at most five more, and
/// `worst` when the last round tick falls well short of it.
fn rank_ticks(worst: u64) -> Vec<u64> {
    let step = [
        1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10_000,
    ]
    .into_iter()
    .find(|step| worst / step <= 5)
    .unwrap_or(worst.max(1));
    let mut ticks = vec![1];
    ticks.extend(
        (1..=worst / step)
            .map(|n| n * step)
            .filter(|&tick| tick > 1),
    );
    // The last rank too, when the round ticks stop well short of it.
    if ticks
        .last()
        .is_some_and(|&last| worst - last >= step.div_ceil(2))
    {
        ticks.push(worst);
    }
    ticks
}

/// The ranks of up to ten videos over the span (`dates`, oldest first), rank 1 at the
/// top down to `worst`; ranks below `worst`, and periods not stored, are gaps.
pub(crate) fn rank_chart(series: &[Series<'_>], dates: &[String], worst: u64) -> Markup {
    let (width, height) = CHART;
    let (left, top, right, bottom) = (MARGIN.0, MARGIN.1, width - MARGIN.2, height - MARGIN.3);
    let worst = worst.max(2);
    let x = |index: usize| x_at(index, dates.len(), left, right);
    let y = |rank: u64| y_at(rank, (1, worst), top, bottom);
    let labelled = labelled(dates.len(), 7);
    html! {
        svg class="chart" viewBox={ "0 0 " (width) " " (height) } role="img"
            aria-label={ "rank over " (dates.len()) " periods, rank 1 at the top" } {
            g class="axis" {
                @for tick in rank_ticks(worst) {
                    line x1=(left) x2=(right) y1=(format!("{:.1}", y(tick))) y2=(format!("{:.1}", y(tick))) {}
                    text x=(left - 6.0) y=(format!("{:.1}", y(tick) + 4.0)) text-anchor="end" { "#" (tick) }
                }
                @for (index, date) in dates.iter().enumerate() {
                    @if labelled.contains(&index) {
                        // The end labels lean inwards, so neither is cut by the edge.
                        @let anchor = match index {
                            0 if dates.len() > 1 => "start",
                            last if last + 1 == dates.len() && last > 0 => "end",
                            _ => "middle",
                        };
                        text x=(format!("{:.1}", x(index))) y=(height - 8.0) text-anchor=(anchor) { (date) }
                    }
                }
            }
            @for (index, line) in series.iter().take(CHART_SERIES).enumerate() {
                @let points: Vec<_> = line.ranks.iter().enumerate()
                    .map(|(at, rank)| rank.filter(|&rank| rank <= worst).map(|rank| (x(at), y(rank))))
                    .collect();
                g class={ "series s" (index) } {
                    title { (line.label) ": " (rank_list(line.ranks)) }
                    @for run in runs(&points) {
                        polyline points=(run) {}
                    }
                    @for (cx, cy) in points.iter().flatten() {
                        circle cx=(format!("{cx:.1}")) cy=(format!("{cy:.1}")) r="3" {}
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_point_down_and_gaps_split_the_line() {
        assert_eq!(y_at(1, (1, 10), 0.0, 90.0), 0.0);
        assert_eq!(y_at(10, (1, 10), 0.0, 90.0), 90.0);
        assert_eq!(y_at(50, (1, 10), 0.0, 90.0), 90.0);
        assert_eq!(y_at(7, (7, 7), 0.0, 90.0), 45.0);
        let points = [Some((0.0, 1.0)), Some((1.0, 2.0)), None, Some((3.0, 4.0))];
        assert_eq!(runs(&points), ["0.0,1.0 1.0,2.0"]);
        assert_eq!(x_at(0, 1, 0.0, 10.0), 5.0);
    }

    #[test]
    fn date_labels_are_spread_from_end_to_end() {
        assert_eq!(labelled(3, 7), [0, 1, 2]);
        assert_eq!(labelled(30, 7), [0, 5, 10, 15, 19, 24, 29]);
        assert_eq!(labelled(0, 7), Vec::<usize>::new());
    }

    #[test]
    fn rank_ticks_start_at_one_and_stay_few() {
        assert_eq!(rank_ticks(10), [1, 2, 4, 6, 8, 10]);
        assert_eq!(rank_ticks(100), [1, 20, 40, 60, 80, 100]);
        assert_eq!(rank_ticks(3), [1, 2, 3]);
        assert_eq!(rank_ticks(14), [1, 5, 10, 14]);
        assert_eq!(rank_ticks(12), [1, 5, 10]);
        assert!(rank_ticks(1_000_000).len() <= 6);
    }

    #[test]
    fn a_sparkline_puts_the_best_rank_at_the_top() {
        let svg = sparkline(&[Some(5), None, Some(1), Some(3)]).into_string();
        assert!(
            svg.contains(r#"<polyline points="79.0,3.0 117.0,14.0">"#),
            "{svg}"
        );
        assert!(
            svg.contains(r#"<circle cx="3.0" cy="25.0" r="1.5">"#),
            "{svg}"
        );
        assert!(svg.contains("rank, oldest first: 5, -, 1, 3"), "{svg}");
        let svg = sparkline(&[Some(5), None, Some(1), None, Some(3)]).into_string();
        assert!(
            svg.contains(r#"<circle cx="60.0" cy="3.0" r="1.5">"#),
            "{svg}"
        );
    }
}
