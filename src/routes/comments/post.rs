//! `POST /YYYY/MM/DD/slug/`: a reader's comment, and every answer of SPEC §3's
//! table. Whatever the answer, what the reader typed is shown again.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};

use crate::auth::signing::{sign, Purpose};
use crate::auth::throttle::client_address;
use crate::domain::comment::{CommentSubmission, FieldErrors, ValidComment};
use crate::domain::moderation::{decide, AuthorHistory, CommentFacts, Verdict};
use crate::domain::CommentStatus;
use crate::error::PageError;
use crate::mail::notify::comment_received;
use crate::models::comment::{
    create_comment, find_comment, has_approved_comment, new_comment_page, Comment,
    CreateCommentError, NewComment,
};
use crate::models::now;
use crate::models::post::{find_public_post_by_slug, Post};
use crate::render::comment::render_comment;
use crate::render::thread::comment_page_path;
use crate::routes::blog::post::{
    comments_open, load_post_page, render_post_page, PostLookup, PostPageData,
};
use crate::routes::cache::NothingPublished;
use crate::routes::comments::held::{held_comment_ids, held_cookie};
use crate::routes::comments::view::{sent_too_fast, CommentForm};
use crate::state::AppState;

pub const DUPLICATE_MESSAGE: &str =
    "Duplicate comment detected; it looks as though you've already said that!";
pub const CLOSED_MESSAGE: &str = "Comments are closed.";
pub const TOO_MANY_MESSAGE: &str = "You are posting comments too quickly. Slow down.";
pub const FIX_FIELDS_MESSAGE: &str =
    "Your comment could not be posted. Please correct the fields marked below.";
pub const PARENT_GONE_MESSAGE: &str =
    "The comment you replied to is no longer available. Your comment was not posted; you may post it as a new comment.";
const MAX_USER_AGENT_CHARS: usize = 255;

/// The form's fields, all optional so that a missing one is a `422` with a
/// message rather than a bare `400`.
#[derive(Debug, Default)]
pub struct RawCommentForm {
    comment: Option<String>,
    author: Option<String>,
    email: Option<String>,
    url: Option<String>,
    subscribe: Option<String>,
    parent: Option<String>,
    /// When the form was shown (signed).
    fp_ts: Option<String>,
    /// The honeypot: hidden from people, filled by bots.
    fp_hp: Option<String>,
    /// What was wrong with the body itself, at the field it concerns.
    flaws: Vec<(FormField, &'static str)>,
}

/// The visible field a problem of the body is shown at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FormField {
    Comment,
    Author,
    Email,
    Url,
}

pub const REPEATED_FIELD_MESSAGE: &str =
    "This field was sent more than once. Please check it and send the form again.";
pub const NUL_MESSAGE: &str =
    "This field held a character that cannot be stored (a NUL byte); it was removed. Please check the text and send it again.";

impl RawCommentForm {
    /// Reads a urlencoded body: a field sent twice keeps its first value,
    /// NUL characters are removed, and each is a message at its field.
    pub fn from_body(body: &[u8]) -> RawCommentForm {
        let mut form = RawCommentForm::default();
        for (name, value) in crate::forms::fields(body) {
            let (slot, shown_at) = match name.as_str() {
                "comment" => (&mut form.comment, FormField::Comment),
                "author" => (&mut form.author, FormField::Author),
                "email" => (&mut form.email, FormField::Email),
                "url" => (&mut form.url, FormField::Url),
                "subscribe" => (&mut form.subscribe, FormField::Comment),
                "parent" => (&mut form.parent, FormField::Comment),
                "fp_ts" => (&mut form.fp_ts, FormField::Comment),
                "fp_hp" => (&mut form.fp_hp, FormField::Comment),
                _ => continue,
            };
            let (value, had_nul) = crate::forms::strip_nul(&value);
            if slot.is_some() {
                form.flaws.push((shown_at, REPEATED_FIELD_MESSAGE));
                continue;
            }
            if had_nul {
                form.flaws.push((shown_at, NUL_MESSAGE));
            }
            *slot = Some(value);
        }
        form
    }

    fn submission(&self) -> CommentSubmission {
        CommentSubmission {
            comment: self.comment.clone().unwrap_or_default(),
            author: self.author.clone().unwrap_or_default(),
            email: self.email.clone().unwrap_or_default(),
            url: self.url.clone().unwrap_or_default(),
            subscribe: self.subscribe.is_some(),
            parent: self
                .parent
                .as_deref()
                .and_then(|id| id.trim().parse::<i64>().ok())
                .filter(|id| *id > 0),
        }
    }

    /// The submission judged by the form's rules, and by what was wrong
    /// with the body (a message at each field, the first one standing).
    fn parse(&self) -> Result<ValidComment, FieldErrors> {
        let parsed = self.submission().parse();
        if self.flaws.is_empty() {
            return parsed;
        }
        let mut errors = parsed.err().unwrap_or_default();
        for (field, message) in &self.flaws {
            let at = match field {
                FormField::Comment => &mut errors.comment,
                FormField::Author => &mut errors.author,
                FormField::Email => &mut errors.email,
                FormField::Url => &mut errors.url,
            };
            at.get_or_insert(message);
        }
        Err(errors)
    }
}

pub const UNAVAILABLE_MESSAGE: &str =
    "Your comment could not be saved just now: the site’s database is unavailable. Your text is below; please send it again in a moment.";

pub async fn submit(
    request: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String, String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let path = path.into_inner();
    let form = RawCommentForm::from_body(&body);
    match receive(&request, &state, &path, &form).await {
        // The database is out of reach or full: the text goes back to its
        // writer, whatever else could not be shown.
        Err(PageError::Unavailable) => unavailable(&state, &path, &form),
        answer => answer,
    }
}

#[derive(askama::Template)]
#[template(path = "comments/unavailable.html")]
struct UnavailablePage<'a> {
    layout: crate::render::layout::Layout,
    heading: &'a str,
    message: &'a str,
    offer_search: bool,
    form: CommentForm,
    permalink: String,
    reply_script: &'static str,
}

/// `503` with `Retry-After`: the form with what was typed, on a page that
/// needs nothing from the database.
fn unavailable(
    state: &AppState,
    path: &(String, String, String, String),
    form: &RawCommentForm,
) -> Result<HttpResponse, PageError> {
    use askama::Template;
    let (year, month, day, slug) = path;
    let mut comment_form = CommentForm::refilled(true, form.submission(), None, &state.secret_key);
    comment_form.notice = Some(UNAVAILABLE_MESSAGE);
    let heading = "Unavailable";
    let mut layout = crate::render::layout::Layout::new(&state.site(), Some(heading));
    layout.robots = Some("noindex");
    let page = UnavailablePage {
        layout,
        heading,
        message: "The site is temporarily unavailable. Please try again in a moment.",
        offer_search: false,
        form: comment_form,
        permalink: format!("/{year}/{month}/{day}/{slug}/"),
        reply_script: crate::render::assets::COMMENT_REPLY_SCRIPT.path.as_str(),
    };
    let body = page.render().map_err(anyhow::Error::from)?;
    let mut response = HttpResponse::ServiceUnavailable()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .insert_header((header::RETRY_AFTER, crate::error::RETRY_AFTER_SECONDS))
        .body(body);
    response.extensions_mut().insert(NothingPublished);
    Ok(response)
}

/// Judges and stores a submission; every refusal shows what was typed.
async fn receive(
    request: &HttpRequest,
    state: &web::Data<AppState>,
    path: &(String, String, String, String),
    form: &RawCommentForm,
) -> Result<HttpResponse, PageError> {
    let held_ids = held_comment_ids(request, &state.secret_key);
    let submission = form.submission();
    let parsed = form.parse();
    // The fast path: one trip to the database for the post, the comment
    // replied to and the author's history; a refusal shows the whole page.
    let facts = {
        let (year, month, day, slug) = path.clone();
        let requested = format!("/{year}/{month}/{day}/{slug}/");
        let parent_id = submission.parent;
        let email = parsed
            .as_ref()
            .ok()
            .map(|valid| valid.email.as_str().to_owned());
        let (shown, paging) = (held_ids.clone(), state.site().discussion.paging());
        state
            .db(move |conn| {
                let Some(post) = find_public_post_by_slug(conn, &slug)? else {
                    return Ok(None);
                };
                if post.permalink() != requested {
                    return Ok(None);
                }
                let reply_name = match parent_id {
                    Some(parent_id) => find_comment(conn, parent_id)?
                        .filter(|parent| {
                            parent.post_id == post.id && parent.status == CommentStatus::Approved
                        })
                        .map(|parent| parent.author_name),
                    None => None,
                };
                // For a valid comment: the author's history, and the page the
                // comment will be on (only a reply to an approved comment of
                // this post nests).
                let (has_approved, page) = match email {
                    Some(email) => {
                        let parent = parent_id.filter(|_| reply_name.is_some());
                        (
                            has_approved_comment(conn, &email)?,
                            new_comment_page(conn, &post, parent, &shown, paging)?,
                        )
                    }
                    None => (false, 1),
                };
                Ok(Some(SubmissionFacts {
                    post,
                    reply_name,
                    has_approved,
                    page,
                }))
            })
            .await?
            .ok_or(PageError::NotFound)?
    };
    let secret = state.secret_key.as_str();
    let refill = |open: bool, notice: &'static str, values: CommentSubmission| {
        let mut form = CommentForm::refilled(open, values, facts.reply_name.as_deref(), secret);
        form.notice = Some(notice);
        form
    };
    let refuse =
        |form: CommentForm, status: StatusCode| refusal(state, path, &held_ids, form, status);

    let site = state.site();
    let received_at = now();
    if !comments_open(&facts.post, &site.discussion, received_at) {
        return refuse(
            refill(false, CLOSED_MESSAGE, submission),
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    let valid = match parsed {
        Ok(valid) => valid,
        Err(errors) => {
            let mut form = refill(true, FIX_FIELDS_MESSAGE, submission);
            form.errors = errors;
            return refuse(form, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    if valid.parent.is_some() && facts.reply_name.is_none() {
        let mut values = submission;
        values.parent = None;
        return refuse(
            refill(true, PARENT_GONE_MESSAGE, values),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let address = client_address(request, state.config.trusted_proxy_hops());
    if let Err(wait) = state.comment_throttle().check(address) {
        let mut response = refuse(
            refill(true, TOO_MANY_MESSAGE, submission),
            StatusCode::TOO_MANY_REQUESTS,
        )
        .await?;
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        response.headers_mut().insert(
            header::RETRY_AFTER,
            header::HeaderValue::from(seconds.max(1)),
        );
        return Ok(response);
    }

    let user_agent: String = request
        .headers()
        .get(header::USER_AGENT)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .chars()
        .take(MAX_USER_AGENT_CHARS)
        .collect();
    let signals = BotSignals {
        honeypot_filled: form.fp_hp.as_deref().is_some_and(|value| !value.is_empty()),
        too_fast: sent_too_fast(
            secret,
            form.fp_ts.as_deref().unwrap_or_default(),
            received_at,
        ),
    };
    // Markdown takes CPU in proportion to the text: not on the threads
    // that serve connections.
    let body = valid.body.clone();
    let body_html = web::block(move || render_comment(&body))
        .await
        .map_err(|error| PageError::Unexpected(anyhow::anyhow!("rendering failed: {error}")))?;
    let new_comment = judge(
        state,
        &facts,
        &valid,
        Rendered { body_html },
        address.to_string(),
        user_agent,
        signals,
    );
    let verdict = new_comment.verdict;
    let context = crate::mail::MailContext::of(state);
    let post = facts.post.clone();
    let subscribe = valid.subscribe;
    // The comment and the mail it causes are committed together, in the
    // next group commit.
    let page_path = comment_page_path(&facts.post.permalink(), facts.page);
    let stored = state
        .writer
        .write(
            move |conn| -> Result<(Comment, String), CreateCommentError> {
                let comment = create_comment(conn, &new_comment)?;
                // The page of the post's comments that shows this one to its author.
                let path = format!("{page_path}#comment-{}", comment.id);
                comment_received(conn, &context, &comment, &post, &path, subscribe)?;
                Ok((comment, path))
            },
        )
        .await
        .map_err(|error| {
            // Not committed: no connection, or the commit failed (a full disk).
            tracing::error!(error = %error, "a comment could not be stored");
            PageError::Unavailable
        })?;
    let (comment, location) = match stored {
        Ok(stored) => stored,
        Err(CreateCommentError::Duplicate) => {
            return refuse(
                refill(true, DUPLICATE_MESSAGE, submission),
                StatusCode::CONFLICT,
            )
            .await;
        }
        Err(CreateCommentError::Database(error)) if crate::db::health::is_outage(&error) => {
            tracing::error!(error = %error, "a comment could not be stored");
            return Err(PageError::Unavailable);
        }
        Err(CreateCommentError::Database(error)) => {
            return Err(PageError::Unexpected(error.into()))
        }
    };
    tracing::info!(
        comment_id = comment.id,
        post_id = facts.post.id,
        status = CommentStatus::from(verdict).as_str(),
        "comment received"
    );

    let mut response = HttpResponse::SeeOther();
    response.insert_header((header::LOCATION, location));
    if verdict != Verdict::Approved {
        // Held and spam look the same to their author: "awaiting moderation".
        response.cookie(held_cookie(
            held_ids,
            comment.id,
            secret,
            state.config.is_https(),
        ));
        // Readers' pages are unchanged.
        response.extensions_mut().insert(NothingPublished);
    }
    Ok(response.finish())
}

/// What the database says about a submission before it is stored.
struct SubmissionFacts {
    post: Post,
    /// The name of the approved comment replied to, if it is one of this post's.
    reply_name: Option<String>,
    /// Whether the author has an approved comment under this email.
    has_approved: bool,
    /// The comment page the new comment will be on, for its author.
    page: usize,
}

/// A refusal: the whole post page (with this visitor's comments) and the
/// form as it was sent, answered with `status`.
async fn refusal(
    state: &AppState,
    path: &(String, String, String, String),
    held_ids: &[i64],
    form: CommentForm,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let mut response = render_post_page(
        state,
        &page_data(state, path, held_ids).await?,
        1,
        form,
        true,
        status,
    )?;
    response.extensions_mut().insert(NothingPublished);
    Ok(response)
}

/// The whole post page (with this visitor's comments), to show a refusal on.
async fn page_data(
    state: &AppState,
    path: &(String, String, String, String),
    held_ids: &[i64],
) -> Result<PostPageData, PageError> {
    match load_post_page(state, path.clone(), held_ids.to_vec()).await? {
        PostLookup::Found(data) => Ok(*data),
        PostLookup::Moved(_) => Err(PageError::NotFound),
    }
}

/// The comment's text as HTML, rendered off the async threads.
struct Rendered {
    body_html: String,
}

#[derive(Debug, Clone, Copy)]
struct BotSignals {
    honeypot_filled: bool,
    too_fast: bool,
}

/// Applies the moderation rules and renders the text: the comment as stored.
fn judge(
    state: &AppState,
    known: &SubmissionFacts,
    valid: &ValidComment,
    rendered: Rendered,
    author_ip: String,
    user_agent: String,
    signals: BotSignals,
) -> NewComment {
    let email = valid.email.as_str().to_owned();
    let author_url = valid
        .url
        .as_ref()
        .map(|url| url.as_str().to_owned())
        .unwrap_or_default();
    let facts = CommentFacts {
        body: &valid.body,
        author: &valid.author,
        email: &email,
        url: &author_url,
        ip: &author_ip,
        user_agent: &user_agent,
        honeypot_filled: signals.honeypot_filled,
        too_fast: signals.too_fast,
    };
    let verdict = decide(
        &facts,
        &state.site().discussion.rules,
        AuthorHistory {
            has_approved_comment: known.has_approved,
        },
    );
    // Keyed, so the stored key says nothing about the email to anyone without the secret.
    let dedupe_key = sign(
        &state.secret_key,
        Purpose::CommentDedupe,
        &format!("{}\n{}", email.to_lowercase(), valid.body),
    );
    NewComment {
        post_id: known.post.id,
        parent_id: valid.parent,
        author_name: valid.author.clone(),
        author_email: email,
        author_url,
        author_ip,
        user_agent,
        user_id: None,
        body_source: valid.body.clone(),
        body_html: rendered.body_html,
        verdict,
        dedupe_key: Some(dedupe_key),
    }
}
