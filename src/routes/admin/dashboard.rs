//! `/admin/`: what needs doing (pending comments), the latest comments, and
//! comments per day over 30 days, drawn here as inline SVG.

use actix_web::{web, HttpResponse};
use askama::Template;

use super::{admin_page, AdminLayout, NoticeQuery};
use crate::domain::CommentStatus;
use crate::error::PageError;
use crate::models::comment::{
    comments_per_day, count_with_status, list_admin_comments, CommentQuery,
};
use crate::models::now;
use crate::render::clock::{php_date, SiteClock};
use crate::routes::staff::Staff;
use crate::state::AppState;
use chrono::Timelike;

const CHART_DAYS: i64 = 30;

#[derive(Template)]
#[template(path = "admin/dashboard.html")]
struct DashboardPage {
    layout: AdminLayout,
    pending: i64,
    latest: Vec<LatestComment>,
    chart: Chart,
    filter: FilterState,
}

/// What the spam filter has learnt, for the dashboard.
struct FilterState {
    spam: i64,
    ham: i64,
    trained: bool,
    needed: i64,
}

impl FilterState {
    fn of(learnt: crate::domain::spam::Seen) -> FilterState {
        FilterState {
            spam: learnt.spam,
            ham: learnt.ham,
            trained: crate::models::spam::is_trained(learnt),
            needed: crate::domain::spam::TRAINED_AFTER,
        }
    }
}

struct LatestComment {
    author: String,
    post_title: String,
    date: String,
    excerpt: String,
    status: CommentStatus,
}

/// A bar chart of comments per day, in SVG user units.
pub struct Chart {
    pub bars: Vec<Bar>,
    pub total: usize,
    pub max: usize,
    /// "1 comment", "12 comments".
    pub total_label: String,
    pub width: usize,
    pub height: usize,
    /// x, text, SVG text-anchor.
    pub labels: Vec<(usize, String, &'static str)>,
}

pub struct Bar {
    pub x: usize,
    pub y: usize,
    pub width: usize,
    pub height: usize,
    pub title: String,
}

const PLOT_HEIGHT: usize = 120;
const BAR_STEP: usize = 20;

/// Counts `counted` (a time and how many comments were made then) into
/// `days` daily buckets ending today (from `today_start`, midnight in the
/// site's zone) and lays out bars, each labelled with its day as the site's
/// owner counts days.
pub fn chart(counted: &[(i64, i64)], today_start: i64, days: i64, clock: &SiteClock) -> Chart {
    let first_day = today_start - (days - 1) * 86_400;
    // Noon of each bucket names its day, whatever a DST change does to midnight.
    let day_label = |start: i64| php_date("M j", &clock.local(start + 43_200));
    let mut counts = vec![0usize; days as usize];
    for (time, n) in counted {
        let index = (time - first_day).div_euclid(86_400);
        if (0..days).contains(&index) {
            counts[index as usize] += usize::try_from(*n).unwrap_or(0);
        }
    }
    let max = counts.iter().copied().max().unwrap_or(0).max(1);
    let bars = counts
        .iter()
        .enumerate()
        .map(|(index, count)| {
            let height = count * PLOT_HEIGHT / max;
            let day = day_label(first_day + index as i64 * 86_400);
            let noun = if *count == 1 { "comment" } else { "comments" };
            Bar {
                x: index * BAR_STEP + 2,
                y: PLOT_HEIGHT - height,
                width: BAR_STEP - 4,
                height,
                title: format!("{day}: {count} {noun}"),
            }
        })
        .collect();
    let label = |index: usize| day_label(first_day + index as i64 * 86_400);
    let middle = days as usize / 2;
    let labels = vec![
        (0, label(0), "start"),
        (middle * BAR_STEP + BAR_STEP / 2, label(middle), "middle"),
        (days as usize * BAR_STEP, label(days as usize - 1), "end"),
    ];
    let total: usize = counts.iter().sum();
    let total_label = if total == 1 {
        "1 comment".to_owned()
    } else {
        format!("{total} comments")
    };
    Chart {
        bars,
        total,
        total_label,
        max,
        width: days as usize * BAR_STEP,
        height: PLOT_HEIGHT + 16,
        labels,
    }
}

pub async fn show(
    state: web::Data<AppState>,
    staff: Staff,
    notice: web::Query<NoticeQuery>,
) -> Result<HttpResponse, PageError> {
    let clock = state.site().clock.clone();
    let local_now = clock.local(now());
    let today_start = now() - i64::from(local_now.num_seconds_from_midnight());
    let since = today_start - (CHART_DAYS - 1) * 86_400;
    let (pending, latest, counted, learnt) = state
        .db(move |conn| {
            let pending = count_with_status(conn, CommentStatus::Pending)?;
            let learnt = crate::models::spam::learnt(conn)?;
            let query = CommentQuery {
                limit: 5,
                ..CommentQuery::default()
            };
            let (latest, _) = list_admin_comments(conn, &query)?;
            let counted = comments_per_day(conn, since, CHART_DAYS)?;
            Ok((pending, latest, counted, learnt))
        })
        .await?;
    let clock = state.site().clock.clone();
    let comment_date = |at| clock.date_at_time(at);
    let latest = latest
        .into_iter()
        .map(|row| LatestComment {
            author: row.comment.author_name.clone(),
            post_title: row.post_title.clone(),
            date: comment_date(row.comment.created_at),
            excerpt: crate::render::text::excerpt("", &row.comment.body_html)
                .chars()
                .take(160)
                .collect(),
            status: row.comment.status,
        })
        .collect();
    let layout = AdminLayout::new(&state, &staff, "Dashboard", "Dashboard")
        .await?
        .with_notice(notice.text());
    admin_page(&DashboardPage {
        layout,
        pending,
        latest,
        chart: chart(&counted, today_start, CHART_DAYS, &clock),
        filter: FilterState::of(learnt),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_fall_into_their_day() {
        let today = 19_675 * 86_400;
        let counted = [
            (today, 1),
            (today + 79_200, 1),
            (today - 900, 1),
            (today - 29 * 86_400, 1),
            (today - 30 * 86_400, 1),
        ];
        let chart = chart(&counted, today, 30, &SiteClock::default());
        assert!(
            chart.bars[29].title.starts_with("Nov 14: "),
            "{}",
            chart.bars[29].title
        );
        assert_eq!(chart.total, 4, "the day before the window is left out");
        assert_eq!(chart.bars[29].title.split(": ").nth(1), Some("2 comments"));
        assert_eq!(chart.bars[28].title.split(": ").nth(1), Some("1 comment"));
        assert_eq!(chart.bars[29].height, PLOT_HEIGHT);
        assert_eq!(chart.bars[0].height, PLOT_HEIGHT / 2);
    }
}
