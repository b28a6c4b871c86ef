//! The stable rule ids: one per kind of change, printed in every format, and the severity
//! each kind has.

/// A kind of change. The ids are part of the output contract: never rename one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Rule {
    OperationAdded,
    OperationRemoved,
    ParameterAdded,
    RequiredParameterAdded,
    ParameterRemoved,
    ParameterBecameRequired,
    ParameterBecameOptional,
    ParameterTypeChanged,
    ParameterValueAdded,
    ParameterValueRemoved,
    ParameterValueLabelChanged,
    ResponseAdded,
    ResponseRemoved,
    PropertyAdded,
    PropertyRemoved,
    PropertyBecameOptional,
    PropertyBecameRequired,
    PropertyTypeChanged,
    PropertyValueAdded,
    PropertyValueRemoved,
    PropertyValueLabelChanged,
    ExampleAdded,
    ExampleRemoved,
    ExampleChanged,
}

/// Whether a client built on the old document can fail against the new one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Severity {
    /// It can.
    Breaking,
    /// It cannot; also used for informational lines such as example drift.
    Additive,
}

impl Rule {
    /// Every rule.
    #[cfg(test)]
    pub(super) const ALL: [Rule; 24] = [
        Rule::OperationAdded,
        Rule::OperationRemoved,
        Rule::ParameterAdded,
        Rule::RequiredParameterAdded,
        Rule::ParameterRemoved,
        Rule::ParameterBecameRequired,
        Rule::ParameterBecameOptional,
        Rule::ParameterTypeChanged,
        Rule::ParameterValueAdded,
        Rule::ParameterValueRemoved,
        Rule::ParameterValueLabelChanged,
        Rule::ResponseAdded,
        Rule::ResponseRemoved,
        Rule::PropertyAdded,
        Rule::PropertyRemoved,
        Rule::PropertyBecameOptional,
        Rule::PropertyBecameRequired,
        Rule::PropertyTypeChanged,
        Rule::PropertyValueAdded,
        Rule::PropertyValueRemoved,
        Rule::PropertyValueLabelChanged,
        Rule::ExampleAdded,
        Rule::ExampleRemoved,
        Rule::ExampleChanged,
    ];

    /// The stable id, as printed.
    pub(crate) fn id(self) -> &'static str {
        match self {
            Rule::OperationAdded => "operation-added",
            Rule::OperationRemoved => "operation-removed",
            Rule::ParameterAdded => "parameter-added",
            Rule::RequiredParameterAdded => "required-parameter-added",
            Rule::ParameterRemoved => "parameter-removed",
            Rule::ParameterBecameRequired => "parameter-became-required",
            Rule::ParameterBecameOptional => "parameter-became-optional",
            Rule::ParameterTypeChanged => "parameter-type-changed",
            Rule::ParameterValueAdded => "parameter-value-added",
            Rule::ParameterValueRemoved => "parameter-value-removed",
            Rule::ParameterValueLabelChanged => "parameter-value-label-changed",
            Rule::ResponseAdded => "response-added",
            Rule::ResponseRemoved => "response-removed",
            Rule::PropertyAdded => "property-added",
            Rule::PropertyRemoved => "property-removed",
            Rule::PropertyBecameOptional => "property-became-optional",
            Rule::PropertyBecameRequired => "property-became-required",
            Rule::PropertyTypeChanged => "property-type-changed",
            Rule::PropertyValueAdded => "property-value-added",
            Rule::PropertyValueRemoved => "property-value-removed",
            Rule::PropertyValueLabelChanged => "property-value-label-changed",
            Rule::ExampleAdded => "example-added",
            Rule::ExampleRemoved => "example-removed",
            Rule::ExampleChanged => "example-changed",
        }
    }

    /// How a change of this kind is classified (see the module documentation).
    pub(super) fn severity(self) -> Severity {
        match self {
            Rule::OperationRemoved
            | Rule::RequiredParameterAdded
            | Rule::ParameterRemoved
            | Rule::ParameterBecameRequired
            | Rule::ParameterTypeChanged
            | Rule::ParameterValueRemoved
            | Rule::ParameterValueLabelChanged
            | Rule::ResponseRemoved
            | Rule::PropertyRemoved
            | Rule::PropertyBecameOptional
            | Rule::PropertyTypeChanged
            | Rule::PropertyValueRemoved
            | Rule::PropertyValueLabelChanged => Severity::Breaking,
            Rule::OperationAdded
            | Rule::ParameterAdded
            | Rule::ParameterBecameOptional
            | Rule::ParameterValueAdded
            | Rule::ResponseAdded
            | Rule::PropertyAdded
            | Rule::PropertyBecameRequired
            | Rule::PropertyValueAdded
            | Rule::ExampleAdded
            | Rule::ExampleRemoved
            | Rule::ExampleChanged => Severity::Additive,
        }
    }
}

/// What a change concerns, where the rule ids differ by it.
#[derive(Clone, Copy)]
pub(super) enum Subject {
    Parameter,
    Property,
}

impl Subject {
    pub(super) fn type_changed(self) -> Rule {
        match self {
            Subject::Parameter => Rule::ParameterTypeChanged,
            Subject::Property => Rule::PropertyTypeChanged,
        }
    }

    pub(super) fn value_added(self) -> Rule {
        match self {
            Subject::Parameter => Rule::ParameterValueAdded,
            Subject::Property => Rule::PropertyValueAdded,
        }
    }

    pub(super) fn value_removed(self) -> Rule {
        match self {
            Subject::Parameter => Rule::ParameterValueRemoved,
            Subject::Property => Rule::PropertyValueRemoved,
        }
    }

    pub(super) fn value_label_changed(self) -> Rule {
        match self {
            Subject::Parameter => Rule::ParameterValueLabelChanged,
            Subject::Property => Rule::PropertyValueLabelChanged,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_kebab_case() {
        let mut ids: Vec<&str> = Rule::ALL.iter().map(|rule| rule.id()).collect();
        assert!(
            ids.iter()
                .all(|id| id.chars().all(|c| c.is_ascii_lowercase() || c == '-'))
        );
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), Rule::ALL.len());
    }
}
