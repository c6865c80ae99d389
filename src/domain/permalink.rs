//! A post's address as a request names it: `/YYYY/MM/DD/slug/`. Only the
//! shape is known (the router checked the digits); whether a post lives
//! there is the database's to say.

use serde::Deserialize;

/// The four parts of a permalink, named as the route names them.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Permalink {
    pub year: String,
    pub month: String,
    pub day: String,
    pub slug: String,
}

impl Permalink {
    /// `/YYYY/MM/DD/slug/`.
    pub fn path(&self) -> String {
        format!("/{}/{}/{}/{}/", self.year, self.month, self.day, self.slug)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_permalink_is_its_four_parts_between_slashes() {
        let permalink = Permalink {
            year: "2024".into(),
            month: "03".into(),
            day: "05".into(),
            slug: "lumbar-support".into(),
        };
        assert_eq!(permalink.path(), "/2024/03/05/lumbar-support/");
    }
}
