#!/usr/bin/env bash
# The versioning policy, proven by the release tool itself: for four fixture upstream
# changes, the versions release-plz's release PR would publish for each published crate,
# checked against the fixtures table in "Versioning" (crates/keyapi-tiktok/README.md).
#
# For each fixture, in a scratch clone of HEAD (never this tree):
#   1. the upstream change is made to the vendored spec and vendored with
#      `cargo xtask update-spec` (which writes the breaking bumps it classified);
#   2. `release-plz update` runs against a clone of HEAD as the "published" release
#      (`--registry-manifest-path`: nothing is downloaded, nothing pushed);
#   3. `cargo semver-checks` compares each library with that release (information: it
#      is blind to some breaks, which is why update-spec writes them);
#   4. each crate's old → new version is printed with whether it matches the table.
#
# Exit 1 when a version does not match. Installs release-plz (PyPI) and
# cargo-semver-checks (crates.io: an hour to build) when they are missing, and PyYAML.
# Not part of .ci/run: it documents the libraries once per fixture.
#
#   bash xtask/release-fixtures.sh [FIXTURE...]   # default: all four
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export CARGO_TERM_COLOR=never CARGO_NET_OFFLINE=true
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}/release-fixtures

crates=(keyapi-tiktok-openapi keyapi-tiktok keyapi-tiktok-store keyapi-tiktok-cli
  keyapi-tiktok-testkit keyapi-tiktok-spec)
fixtures=("$@")
[ ${#fixtures[@]} -gt 0 ] || fixtures=(new-optional-property removed-property
  required-parameter new-rank-field-value)

# release-plz from PyPI's binary wheel (its crate needs a newer rustc than stable here),
# at the version .github/workflows/release-plz.yml runs.
command -v release-plz >/dev/null ||
  python3 -m pip install --quiet astral-dev-toolchain-release-plz==0.3.171
command -v cargo-semver-checks >/dev/null ||
  cargo install --locked cargo-semver-checks --version 0.51.0
python3 -c 'import yaml' 2>/dev/null || python3 -m pip install --quiet pyyaml
echo "release-plz: $(release-plz --version)"
echo "cargo-semver-checks: $(cargo semver-checks --version)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git() { command git -c user.name=release-fixtures -c user.email=fixtures@localhost "$@"; }

# The "published" release: a clone of HEAD, as release-plz's `--registry-manifest-path`
# expects it (the released version of the project, behind the one it updates); release-plz
# and cargo-semver-checks compare each package with its copy there.
git clone --quiet "$root" "$work/published"

# `version` of each published crate in the tree at $1, as `name version` lines.
versions() {
  cargo metadata --manifest-path "$1/Cargo.toml" --format-version 1 --no-deps --offline |
    python3 -c 'import json, sys
for package in json.load(sys.stdin)["packages"]:
    print(package["name"], package["version"])'
}

# The upstream document for fixture $1, made from the vendored spec at $2, written to $3.
make_fixture() {
  python3 - "$1" "$2" "$3" <<'PY'
import json, sys, yaml
fixture, spec, out = sys.argv[1:]
document = yaml.safe_load(open(spec, encoding="utf-8"))
operation = document["paths"]["/v1/tiktok/video/ranking/analytics"]["get"]
item = (operation["responses"]["200"]["content"]["application/json"]["schema"]
        ["properties"]["data"]["items"]["properties"])
parameters = {parameter["name"]: parameter for parameter in operation["parameters"]}
if fixture == "new-optional-property":
    item["share_url"] = {"type": "string", "title": "Share link"}
elif fixture == "removed-property":
    del item["total_shares_cnt"]
elif fixture == "required-parameter":
    parameters["product_category_id"]["required"] = True
elif fixture == "new-rank-field-value":
    rank = parameters["video_rank_field"]
    rank["description"] = rank["description"].replace("。", "，3=total_digg_cnt。", 1)
    assert "3=total_digg_cnt" in rank["description"], rank["description"]
else:
    sys.exit(f"unknown fixture {fixture}")
json.dump(document, open(out, "w", encoding="utf-8"), ensure_ascii=False, indent=1)
PY
}

# The expected bump of each crate for fixture $1, from the README's fixtures table, as
# `name bump` lines (bump: minor, patch or none).
expected() {
  python3 - "$1" "$root/crates/keyapi-tiktok/README.md" "${crates[@]}" <<'PY'
import sys
fixture, readme, *crates = sys.argv[1:]
for line in open(readme, encoding="utf-8"):
    cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
    if cells and cells[0] == f"`{fixture}`":
        for crate, bump in zip(crates, cells[2:]):
            print(crate, bump)
        break
else:
    sys.exit(f"{readme}: no row for `{fixture}` in the fixtures table")
PY
}

# $1 bumped by $2 (minor, patch or none), Cargo's 0.x rule.
bumped() {
  python3 - "$1" "$2" <<'PY'
import sys
version, bump = sys.argv[1:]
major, minor, patch = map(int, version.split("."))
if bump == "none":
    print(version)
elif bump == "patch":
    print(f"{major}.{minor}.{patch + 1}")
elif bump == "minor" and major == 0:
    print(f"0.{minor + 1}.0")
elif bump == "minor":
    print(f"{major + 1}.0.0")
else:
    sys.exit(f"unknown bump {bump}")
PY
}

failures=0
for fixture in "${fixtures[@]}"; do
  echo
  echo "=== $fixture"
  tree="$work/$fixture"
  git clone --quiet "$root" "$tree"
  before=$(versions "$tree")
  make_fixture "$fixture" "$tree/spec/upstream.openapi.yaml" "$work/$fixture.json"
  status=0
  (cd "$tree" && cargo xtask update-spec "$work/$fixture.json" >"$work/$fixture.update-spec.log" 2>&1) ||
    status=$?
  echo "update-spec: exit $status ($( [ $status = 1 ] && echo breaking || echo additive))"
  [ $status -le 1 ] || { cat "$work/$fixture.update-spec.log"; exit 1; }
  sed -n '/^versions:/,$p' "$work/$fixture.update-spec.log" | sed 's/^/  /'
  (cd "$tree" && git commit --quiet -am "fix: upstream spec update ($fixture)")

  (cd "$tree" && release-plz update --registry-manifest-path "$work/published/Cargo.toml" \
    >"$work/$fixture.release-plz.log" 2>&1) || {
    echo "release-plz update failed:"
    cat "$work/$fixture.release-plz.log"
    exit 1
  }
  echo "release-plz update: ok"

  echo "cargo semver-checks (information; blind to parameter types and to commands):"
  for crate in keyapi-tiktok-openapi keyapi-tiktok keyapi-tiktok-store; do
    verdict=$(cd "$tree" && cargo semver-checks --package "$crate" --baseline-root "$work/published" \
      2>&1 | grep -E '^ +(Summary|Checked)|^--- failure' | sed 's/^ *//' | sort -u |
      paste -sd ';' -) || true
    echo "  $crate: ${verdict:-(no summary)}"
  done

  after=$(versions "$tree")
  echo "versions the release PR would publish:"
  while read -r crate bump; do
    old=$(awk -v c="$crate" '$1 == c {print $2}' <<<"$before")
    new=$(awk -v c="$crate" '$1 == c {print $2}' <<<"$after")
    want=$(bumped "$old" "$bump")
    if [ "$new" = "$want" ]; then
      verdict="matches the table ($bump)"
    else
      verdict="DOES NOT MATCH the table ($bump: $want)"
      failures=$((failures + 1))
    fi
    printf '  %-22s %s -> %-6s %s\n' "$crate" "$old" "$new" "$verdict"
  done < <(expected "$fixture")
done

echo
if [ "$failures" -gt 0 ]; then
  echo "$failures version(s) do not follow the policy"
  exit 1
fi
echo "every version follows the policy"
