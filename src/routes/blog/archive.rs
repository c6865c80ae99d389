//! WordPress's archives: a category (nested ones at `/category/parent/child/`),
//! a tag, an author, a year, a month or a day — each with older pages at
//! `…/page/N/`.

use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::NaiveDate;

use super::{html_page, load_summaries, moved_permanently, page_number, pagination_links};
use crate::error::PageError;
use crate::models::category::find_category_by_path;
use crate::models::post::PostFilter;
use crate::models::tag::find_tag_by_slug;
use crate::models::user::find_author_by_slug;
use crate::render::layout::{Layout, PostSummary};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "blog/archive.html")]
struct ArchivePage {
    layout: Layout,
    kind: &'static str,
    name: String,
    description: String,
    posts: Vec<PostSummary>,
    older: Option<String>,
    newer: Option<String>,
}

/// What an archive lists, and where it lives.
struct Archive {
    /// "Category", "Tag", "Author", "Year"…
    kind: &'static str,
    name: String,
    description: String,
    /// Its first page: `/tag/sleep/`.
    base: String,
    filter: PostFilter,
    /// Its feed, when it has one: (title, path).
    feed: Option<(String, String)>,
}

/// Page `page` of an archive; `404` past its last page.
async fn render(state: &AppState, archive: Archive, page: i64) -> Result<HttpResponse, PageError> {
    // A date with no posts is nobody's archive (WordPress: `404`); a
    // category or tag without posts still has its page.
    let dated = matches!(archive.filter, PostFilter::Between(..));
    let (posts, has_older) = load_summaries(state, archive.filter, page).await?;
    if posts.is_empty() && (page > 1 || dated) {
        return Err(PageError::NotFound);
    }
    let (older, newer) = pagination_links(&archive.base, page, has_older);
    let canonical = match page {
        1 => archive.base.clone(),
        _ => format!("{}page/{page}/", archive.base),
    };
    let title = match page {
        1 => archive.name.clone(),
        _ => format!("{} – Page {page}", archive.name),
    };
    let mut layout = state
        .site()
        .layout(Some(&title))
        .with_canonical(state.config.absolute_url(&canonical));
    if let Some((title, path)) = archive.feed {
        layout = layout.with_feed(title, path);
    }
    let shows = super::listing(&posts);
    let page = ArchivePage {
        layout,
        kind: archive.kind,
        name: archive.name,
        description: archive.description,
        posts,
        older,
        newer,
    };
    Ok(html_page(
        page.render().map_err(anyhow::Error::from)?,
        shows,
    ))
}

/// `N` of `/…/page/N/`: page 1 is the archive's own address.
fn older(
    page: &str,
    base: impl FnOnce() -> String,
) -> Result<Result<i64, HttpResponse>, PageError> {
    match page_number(page) {
        Some(1) => Ok(Err(moved_permanently(&base()))),
        Some(page) => Ok(Ok(page)),
        None => Err(PageError::NotFound),
    }
}

async fn category(state: &AppState, path: String, page: i64) -> Result<HttpResponse, PageError> {
    let asked = path.clone();
    let category = state
        .db(move |conn| find_category_by_path(conn, &asked))
        .await?
        .ok_or(PageError::NotFound)?;
    let bases = state.site().bases.clone();
    let base = category.path(&bases);
    if base != bases.category_path(&path) {
        // A nested category asked for by its own slug alone.
        let location = match page {
            1 => base,
            _ => format!("{base}page/{page}/"),
        };
        return Ok(moved_permanently(&location));
    }
    let site_title = state.site().title.clone();
    let archive = Archive {
        kind: "Category",
        feed: Some((
            format!("{site_title} » {} Category Feed", category.name),
            format!("{base}feed/"),
        )),
        name: category.name,
        description: category.description,
        base,
        filter: PostFilter::Category(category.id),
    };
    render(state, archive, page).await
}

pub async fn category_first(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    category(&state, path.into_inner(), 1).await
}

pub async fn category_older(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, PageError> {
    let (path, page) = path.into_inner();
    match older(&page, || state.site().bases.category_path(&path))? {
        Ok(page) => category(&state, path, page).await,
        Err(moved) => Ok(moved),
    }
}

async fn tag(state: &AppState, slug: String, page: i64) -> Result<HttpResponse, PageError> {
    let tag = state
        .db(move |conn| find_tag_by_slug(conn, &slug))
        .await?
        .ok_or(PageError::NotFound)?;
    let base = tag.path(&state.site().bases);
    let site_title = state.site().title.clone();
    let archive = Archive {
        kind: "Tag",
        feed: Some((
            format!("{site_title} » {} Tag Feed", tag.name),
            format!("{base}feed/"),
        )),
        name: tag.name,
        description: tag.description,
        base,
        filter: PostFilter::Tag(tag.id),
    };
    render(state, archive, page).await
}

/// WordPress's format archives: `/type/aside/`.
fn format_archive(state: &AppState, format: &str) -> Result<Archive, PageError> {
    let (format, name) = crate::domain::status::POST_FORMATS
        .iter()
        .find(|(known, _)| *known == format)
        .ok_or(PageError::NotFound)?;
    let base = format!("/type/{format}/");
    Ok(Archive {
        kind: "Format",
        feed: Some((
            format!("{} » {name} Feed", state.site().title),
            format!("{base}feed/"),
        )),
        name: (*name).to_owned(),
        description: String::new(),
        base,
        filter: PostFilter::Format(format),
    })
}

pub async fn format_first(
    state: web::Data<AppState>,
    format: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let archive = format_archive(&state, &format)?;
    render(&state, archive, 1).await
}

pub async fn format_older(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, PageError> {
    let (format, page) = path.into_inner();
    let archive = format_archive(&state, &format)?;
    match older(&page, || archive.base.clone())? {
        Ok(page) => render(&state, archive, page).await,
        Err(moved) => Ok(moved),
    }
}

pub async fn tag_first(
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    tag(&state, slug.into_inner(), 1).await
}

pub async fn tag_older(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, PageError> {
    let (slug, page) = path.into_inner();
    match older(&page, || state.site().bases.tag_path(&slug))? {
        Ok(page) => tag(&state, slug, page).await,
        Err(moved) => Ok(moved),
    }
}

async fn author(state: &AppState, slug: String, page: i64) -> Result<HttpResponse, PageError> {
    let base = format!("/author/{slug}/");
    let (author_id, name) = state
        .db(move |conn| find_author_by_slug(conn, &slug))
        .await?
        .ok_or(PageError::NotFound)?;
    let site_title = state.site().title.clone();
    let archive = Archive {
        kind: "Author",
        feed: Some((
            format!("{site_title} » Posts by {name} Feed"),
            format!("{base}feed/"),
        )),
        name,
        description: String::new(),
        base,
        filter: PostFilter::Author(author_id),
    };
    render(state, archive, page).await
}

pub async fn author_first(
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    author(&state, slug.into_inner(), 1).await
}

pub async fn author_older(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, PageError> {
    let (slug, page) = path.into_inner();
    match older(&page, || format!("/author/{slug}/"))? {
        Ok(page) => author(&state, slug, page).await,
        Err(moved) => Ok(moved),
    }
}

/// A year, a month or a day, as the date archive's address gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateSpan {
    year: i32,
    month: Option<u32>,
    day: Option<u32>,
}

impl DateSpan {
    /// From the address's parts; `None` for a date that does not exist.
    fn parse(year: &str, month: Option<&str>, day: Option<&str>) -> Option<DateSpan> {
        let span = DateSpan {
            year: year.parse().ok()?,
            month: month.map(str::parse).transpose().ok()?,
            day: day.map(str::parse).transpose().ok()?,
        };
        span.range(chrono_tz::Tz::UTC).map(|_| span)
    }

    /// `[from, until)` in Unix seconds: the site's days (`timezone`), as
    /// WordPress files a post under its local date.
    fn range(&self, timezone: chrono_tz::Tz) -> Option<(i64, i64)> {
        let start =
            NaiveDate::from_ymd_opt(self.year, self.month.unwrap_or(1), self.day.unwrap_or(1))?;
        let end = match (self.month, self.day) {
            (_, Some(_)) => start.succ_opt()?,
            (Some(_), None) => start.checked_add_months(chrono::Months::new(1))?,
            (None, None) => NaiveDate::from_ymd_opt(self.year + 1, 1, 1)?,
        };
        let seconds = |date: NaiveDate| {
            use chrono::TimeZone;
            let midnight = date.and_hms_opt(0, 0, 0)?;
            // A midnight skipped by a clock change: the first moment after.
            timezone
                .from_local_datetime(&midnight)
                .earliest()
                .or_else(|| {
                    timezone
                        .from_local_datetime(&(midnight + chrono::Duration::hours(1)))
                        .earliest()
                })
                .map(|local| local.timestamp())
        };
        Some((seconds(start)?, seconds(end)?))
    }

    fn base(&self) -> String {
        match (self.month, self.day) {
            (Some(month), Some(day)) => format!("/{:04}/{month:02}/{day:02}/", self.year),
            (Some(month), None) => format!("/{:04}/{month:02}/", self.year),
            _ => format!("/{:04}/", self.year),
        }
    }

    /// "Year: 2023", "Month: March 2023", "Day: March 5, 2023" (the day in
    /// the site's date format).
    fn heading(&self, clock: &crate::render::clock::SiteClock) -> (&'static str, String) {
        let date =
            NaiveDate::from_ymd_opt(self.year, self.month.unwrap_or(1), self.day.unwrap_or(1));
        match (self.month, self.day, date) {
            (Some(_), Some(_), Some(date)) => {
                let noon = date.and_hms_opt(12, 0, 0).unwrap_or_default().and_utc();
                let day = noon.with_timezone(&chrono_tz::Tz::UTC);
                (
                    "Day",
                    crate::render::clock::php_date(&clock.date_format, &day),
                )
            }
            (Some(_), None, Some(date)) => ("Month", date.format("%B %Y").to_string()),
            _ => ("Year", self.year.to_string()),
        }
    }
}

async fn dates(state: &AppState, span: DateSpan, page: i64) -> Result<HttpResponse, PageError> {
    let (from, until) = span
        .range(state.site().clock.timezone)
        .ok_or(PageError::NotFound)?;
    let (kind, name) = span.heading(&state.site().clock);
    let archive = Archive {
        kind,
        name,
        description: String::new(),
        base: span.base(),
        filter: PostFilter::Between(from, until),
        feed: None,
    };
    render(state, archive, page).await
}

/// A date archive's page, from the address's parts.
async fn date_archive(
    state: &AppState,
    (year, month, day): (&str, Option<&str>, Option<&str>),
    page: Option<&str>,
) -> Result<HttpResponse, PageError> {
    let span = DateSpan::parse(year, month, day).ok_or(PageError::NotFound)?;
    match page {
        None => dates(state, span, 1).await,
        Some(page) => match older(page, || span.base())? {
            Ok(page) => dates(state, span, page).await,
            Err(moved) => Ok(moved),
        },
    }
}

/// `/2023/`.
pub async fn year(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    date_archive(&state, (&path, None, None), None).await
}

/// `/2023/page/2/`.
pub async fn year_older(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, PageError> {
    let (year, page) = path.into_inner();
    date_archive(&state, (&year, None, None), Some(&page)).await
}

/// `/2023/03/`.
pub async fn month(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, PageError> {
    let (year, month) = path.into_inner();
    date_archive(&state, (&year, Some(&month), None), None).await
}

/// `/2023/03/page/2/`.
pub async fn month_older(
    state: web::Data<AppState>,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, PageError> {
    let (year, month, page) = path.into_inner();
    date_archive(&state, (&year, Some(&month), None), Some(&page)).await
}

/// `/2023/03/05/`.
pub async fn day(
    state: web::Data<AppState>,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, PageError> {
    let (year, month, day) = path.into_inner();
    date_archive(&state, (&year, Some(&month), Some(&day)), None).await
}

/// `/2023/03/05/page/2/`.
pub async fn day_older(
    state: web::Data<AppState>,
    path: web::Path<(String, String, String, String)>,
) -> Result<HttpResponse, PageError> {
    let (year, month, day, page) = path.into_inner();
    date_archive(&state, (&year, Some(&month), Some(&day)), Some(&page)).await
}

#[cfg(test)]
mod tests {
    use super::DateSpan;

    #[test]
    fn date_archives_span_their_year_month_or_day() {
        let day = DateSpan::parse("2023", Some("03"), Some("05")).unwrap();
        assert_eq!(
            day.range(chrono_tz::Tz::UTC),
            Some((1_677_974_400, 1_678_060_800))
        );
        // The site's day: Zurich's midnights (UTC+1 in March).
        assert_eq!(
            day.range(chrono_tz::Europe::Zurich),
            Some((1_677_974_400 - 3_600, 1_678_060_800 - 3_600))
        );
        let clock = crate::render::clock::SiteClock::default();
        assert_eq!(day.heading(&clock), ("Day", "March 5, 2023".to_owned()));
        let dotted = crate::render::clock::SiteClock {
            date_format: "j.n.Y".to_owned(),
            ..clock.clone()
        };
        assert_eq!(day.heading(&dotted), ("Day", "5.3.2023".to_owned()));
        let month = DateSpan::parse("2023", Some("12"), None).unwrap();
        assert_eq!(
            month.range(chrono_tz::Tz::UTC),
            Some((1_701_388_800, 1_704_067_200))
        );
        assert_eq!(month.base(), "/2023/12/");
        assert_eq!(
            DateSpan::parse("2023", None, None).unwrap().heading(&clock),
            ("Year", "2023".to_owned())
        );
        assert_eq!(DateSpan::parse("2023", Some("02"), Some("30")), None);
        assert_eq!(DateSpan::parse("2023", Some("13"), None), None);
    }
}
