//! Messages at the fields of a form that need fixing — one type for every
//! form, the reader's comment form and the panel's alike.

/// (field name, message) pairs; the first message at a field stands.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(Vec<(&'static str, &'static str)>);

impl FieldErrors {
    pub fn new() -> FieldErrors {
        FieldErrors::default()
    }

    /// A single message.
    pub fn one(field: &'static str, message: &'static str) -> FieldErrors {
        FieldErrors(vec![(field, message)])
    }

    /// Adds a message at a field, unless one is there already.
    pub fn push(&mut self, (field, message): (&'static str, &'static str)) {
        if self.at(field).is_none() {
            self.0.push((field, message));
        }
    }

    /// `errors.at("title")` in templates: the message at one field.
    pub fn at(&self, field: &str) -> Option<&'static str> {
        self.0
            .iter()
            .find(|(name, _)| *name == field)
            .map(|(_, message)| *message)
    }

    /// Each (field, message), in the order they were added.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &'static str)> + '_ {
        self.0.iter().copied()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_message_at_a_field_stands() {
        let mut errors = FieldErrors::new();
        assert!(errors.is_empty());
        errors.push(("title", "Please enter a title."));
        errors.push(("title", "Something else."));
        errors.push(("slug", "Bad slug."));
        assert_eq!(errors.at("title"), Some("Please enter a title."));
        assert_eq!(errors.at("slug"), Some("Bad slug."));
        assert_eq!(errors.at("body"), None);
    }
}
