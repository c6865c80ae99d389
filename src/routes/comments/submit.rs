//! `POST /YYYY/MM/DD/slug/`: a reader's comment, and every answer of SPEC §3's
//! table. Whatever the answer, what the reader typed is shown again.

use crate::domain::spam::{score, tokens, Score, SpamInput};
use crate::models::spam::{is_trained, seen_counts};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};

use crate::auth::signing::{sign, Purpose};
use crate::auth::throttle::client_address;
use crate::domain::comment::{CommentSubmission, ValidComment};
use crate::domain::moderation::{decide, AuthorHistory, CommentFacts, Verdict};
use crate::domain::FieldErrors;
use std::net::IpAddr;
use std::time::Duration;

use crate::domain::{CommentStatus, Permalink};
use crate::error::PageError;
use crate::mail::notify::comment_received;
use crate::models::comment::{
    create_comment, find_comment, has_approved_comment, new_comment_page, Comment,
    CreateCommentError, NewComment,
};
use crate::models::now;
use crate::models::post::{find_post_at, Post, PostAt};
use crate::render::comment::render_comment;
use crate::render::thread::comment_page_path;
use crate::routes::blog::post::{
    comments_open, load_post_page, render_post_page, PostLookup, PostPageView,
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
    /// Keep the name, email and website in a cookie for next time.
    remember: Option<String>,
    /// "Preview" was pressed: show the comment, store nothing.
    preview: Option<String>,
    /// When the form was shown (signed).
    fp_ts: Option<String>,
    /// The honeypot: hidden from people, filled by bots.
    fp_hp: Option<String>,
    /// What was wrong with the body itself, at the visible field it concerns.
    flaws: FieldErrors,
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
                "comment" => (&mut form.comment, "comment"),
                "author" => (&mut form.author, "author"),
                "email" => (&mut form.email, "email"),
                "url" => (&mut form.url, "url"),
                // Hidden fields: what is wrong shows at the text.
                "subscribe" => (&mut form.subscribe, "comment"),
                "parent" => (&mut form.parent, "comment"),
                "remember" => (&mut form.remember, "comment"),
                "preview" => (&mut form.preview, "comment"),
                "fp_ts" => (&mut form.fp_ts, "comment"),
                "fp_hp" => (&mut form.fp_hp, "comment"),
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
            remember: self.remember.is_some(),
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
        for (field, message) in self.flaws.iter() {
            errors.push((field, message));
        }
        Err(errors)
    }
}

pub const UNAVAILABLE_MESSAGE: &str =
    "Your comment could not be saved just now: the site’s database is unavailable. Your text is below; please send it again in a moment.";

/// A comment sent to a post at ferropress's own dated address.
pub async fn submit(
    request: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<crate::domain::permalink::DatedParts>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    submit_to(&request, &state, &Permalink::from(path.into_inner()), &body).await
}

/// A comment sent to the post at `permalink` (any permalink structure's).
pub async fn submit_to(
    request: &HttpRequest,
    state: &AppState,
    permalink: &Permalink,
    body: &[u8],
) -> Result<HttpResponse, PageError> {
    let form = RawCommentForm::from_body(body);
    match receive(request, state, permalink, &form).await {
        // The database is out of reach or full: the text goes back to its
        // writer, whatever else could not be shown.
        Err(PageError::Unavailable) => unavailable(state, permalink, &form),
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
    permalink: &Permalink,
    form: &RawCommentForm,
) -> Result<HttpResponse, PageError> {
    use askama::Template;
    let mut comment_form = CommentForm::refilled(true, form.submission(), None, &state.secret_key);
    comment_form.notice = Some(UNAVAILABLE_MESSAGE);
    let heading = "Unavailable";
    let mut layout = state.site().layout(Some(heading));
    layout.robots = Some("noindex");
    let page = UnavailablePage {
        layout,
        heading,
        message: "The site is temporarily unavailable. Please try again in a moment.",
        offer_search: false,
        form: comment_form,
        permalink: permalink.path(),
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

/// Loads what the database knows, admits or refuses, judges, stores and
/// answers. Every refusal shows what was typed.
async fn receive(
    request: &HttpRequest,
    state: &AppState,
    permalink: &Permalink,
    form: &RawCommentForm,
) -> Result<HttpResponse, PageError> {
    let held_ids = held_comment_ids(request, &state.secret_key);
    let parsed = form.parse();
    let address = client_address(request, state.config.trusted_proxy_hops());
    // What the spam filter reads, so its counts come in the same trip.
    let spam_tokens = parsed.as_ref().ok().map(|valid| {
        let url = valid
            .url
            .as_ref()
            .map(|url| url.as_str().to_owned())
            .unwrap_or_default();
        tokens(&SpamInput {
            body: &valid.body,
            author: &valid.author,
            url: &url,
            ip: &address.to_string(),
        })
    });
    let facts = load_facts(state, permalink, form, &parsed, &held_ids, spam_tokens).await?;
    // A protected post takes comments only from readers who typed its password.
    if !crate::routes::blog::protected::unlocked(request, &state.secret_key, &facts.post) {
        let mut response = crate::routes::blog::protected::locked_page(
            state,
            &facts.post,
            Some(crate::routes::blog::protected::COMMENTS_NEED_PASSWORD),
            StatusCode::FORBIDDEN,
        )?;
        response.extensions_mut().insert(NothingPublished);
        return Ok(response);
    }
    let received_at = now();
    let refused = |refusal| refuse(state, permalink, &held_ids, &facts, form, refusal);
    if form.preview.is_some() {
        // Judged as a submission would be, but nothing is stored or counted.
        if !comments_open(&facts.post, &state.site().discussion, received_at) {
            return refused(Refusal::Closed).await;
        }
        return match parsed {
            Ok(valid) => preview(state, permalink, &held_ids, &facts, form, &valid).await,
            Err(errors) => refused(Refusal::Invalid(errors)).await,
        };
    }
    let valid = match admit(state, &facts, parsed, address, received_at) {
        Ok(valid) => valid,
        Err(refusal) => return refused(refusal).await,
    };
    let signals = BotSignals::of(form, &state.secret_key, received_at);
    let rendered = render(&valid.body).await?;
    let user_agent = user_agent(request);
    let new_comment = judge(
        state,
        &facts,
        &valid,
        rendered,
        address.to_string(),
        user_agent,
        signals,
    );
    let verdict = new_comment.verdict;
    if verdict == Verdict::Spam && crate::metrics::enabled() {
        let by = if signals.honeypot_filled || signals.too_fast {
            "bot-signals"
        } else if state
            .site()
            .discussion
            .rules
            .score_is_spam(facts.acting_spam_score())
        {
            "filter"
        } else {
            "words"
        };
        metrics::counter!(crate::metrics::SPAM_CAUGHT, "by" => by).increment(1);
    }
    match store(state, &facts, new_comment, valid.subscribe).await? {
        Ok((comment, location)) => {
            let mut response = accepted(state, &facts, held_ids, comment, verdict, location);
            remember_or_forget(request, state, form, &valid, &mut response);
            Ok(response)
        }
        Err(Duplicate) => refused(Refusal::Duplicate).await,
    }
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
    /// Whether everyone sees it on that page (its author has no held
    /// comments, which only they would see before it).
    page_is_everyones: bool,
    /// The spam filter's verdict on a valid comment.
    spam: Option<Score>,
    /// Whether the filter has learnt enough to act alone.
    spam_trained: bool,
}

impl SubmissionFacts {
    /// The filter's score, if it is trained enough to act on it.
    fn acting_spam_score(&self) -> Option<f64> {
        self.spam
            .as_ref()
            .filter(|_| self.spam_trained)
            .map(|score| score.value)
    }
}

/// One trip to the database for the post, the comment replied to and the
/// author's history; `404` when no public post lives at the permalink.
async fn load_facts(
    state: &AppState,
    permalink: &Permalink,
    form: &RawCommentForm,
    parsed: &Result<ValidComment, FieldErrors>,
    held_ids: &[i64],
    spam_tokens: Option<Vec<String>>,
) -> Result<SubmissionFacts, PageError> {
    let permalink = permalink.clone();
    let parent_id = form.submission().parent;
    let email = parsed
        .as_ref()
        .ok()
        .map(|valid| valid.email.as_str().to_owned());
    let (shown, paging) = (held_ids.to_vec(), state.site().discussion.paging());
    state
        .db(move |conn| {
            // A comment is taken only at the post's own address.
            let Some(PostAt::Here(post)) = find_post_at(conn, &permalink)? else {
                return Ok(None);
            };
            let post = *post;
            let reply_name = match parent_id {
                Some(parent_id) => find_comment(conn, parent_id)?
                    .filter(|parent| parent.post_id == post.id && parent.status.is_approved())
                    .map(|parent| {
                        crate::render::text::public_name(&parent.author_name).into_owned()
                    }),
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
            let (spam, spam_trained) = match spam_tokens {
                Some(tokens) => {
                    let (counts, learnt) = seen_counts(conn, &tokens)?;
                    (Some(score(&tokens, &counts, learnt)), is_trained(learnt))
                }
                None => (None, false),
            };
            Ok(Some(SubmissionFacts {
                post,
                reply_name,
                has_approved,
                page,
                page_is_everyones: shown.is_empty(),
                spam,
                spam_trained,
            }))
        })
        .await?
        .ok_or(PageError::NotFound)
}

/// Why a submission was not stored: each is a row of SPEC §3's table.
#[derive(Debug)]
enum Refusal {
    Closed,
    Invalid(FieldErrors),
    ParentGone,
    TooMany { wait: Duration },
    Duplicate,
}

impl Refusal {
    fn status(&self) -> StatusCode {
        match self {
            Refusal::Closed => StatusCode::FORBIDDEN,
            Refusal::Invalid(_) | Refusal::ParentGone => StatusCode::UNPROCESSABLE_ENTITY,
            Refusal::TooMany { .. } => StatusCode::TOO_MANY_REQUESTS,
            Refusal::Duplicate => StatusCode::CONFLICT,
        }
    }

    fn notice(&self) -> &'static str {
        match self {
            Refusal::Closed => CLOSED_MESSAGE,
            Refusal::Invalid(_) => FIX_FIELDS_MESSAGE,
            Refusal::ParentGone => PARENT_GONE_MESSAGE,
            Refusal::TooMany { .. } => TOO_MANY_MESSAGE,
            Refusal::Duplicate => DUPLICATE_MESSAGE,
        }
    }
}

/// The rules a submission must pass before it is judged, in SPEC §3's order.
fn admit(
    state: &AppState,
    facts: &SubmissionFacts,
    parsed: Result<ValidComment, FieldErrors>,
    address: IpAddr,
    received_at: i64,
) -> Result<ValidComment, Refusal> {
    if !comments_open(&facts.post, &state.site().discussion, received_at) {
        return Err(Refusal::Closed);
    }
    let valid = parsed.map_err(Refusal::Invalid)?;
    if valid.parent.is_some() && facts.reply_name.is_none() {
        return Err(Refusal::ParentGone);
    }
    state
        .comment_throttle()
        .check(address)
        .map_err(|wait| Refusal::TooMany { wait })?;
    Ok(valid)
}

/// Keeps the author's details in their cookie when they ticked the box, and
/// forgets them when they did not (as WordPress does).
fn remember_or_forget(
    request: &HttpRequest,
    state: &AppState,
    form: &RawCommentForm,
    valid: &ValidComment,
    response: &mut HttpResponse,
) {
    use crate::routes::comments::remembered::{
        forget_cookie, remember_cookie, Remembered, COOKIE_NAME,
    };
    let secure = state.config.is_https();
    let cookie = if form.remember.is_some() {
        remember_cookie(
            &Remembered {
                author: valid.author.clone(),
                email: valid.email.as_str().to_owned(),
                url: valid
                    .url
                    .as_ref()
                    .map(|url| url.as_str().to_owned())
                    .unwrap_or_default(),
            },
            secure,
        )
    } else if request.cookie(COOKIE_NAME).is_some() {
        forget_cookie(secure)
    } else {
        return;
    };
    let _ = response.add_cookie(&cookie);
}

/// "Preview": the whole post page with the comment shown above the form as
/// it will appear, and the form as it was sent. Nothing is stored.
async fn preview(
    state: &AppState,
    permalink: &Permalink,
    held_ids: &[i64],
    facts: &SubmissionFacts,
    form: &RawCommentForm,
    valid: &ValidComment,
) -> Result<HttpResponse, PageError> {
    let rendered = render(&valid.body).await?;
    let mut shown = CommentForm::refilled(
        true,
        form.submission(),
        facts.reply_name.as_deref(),
        &state.secret_key,
    );
    shown.preview = Some(crate::routes::comments::view::CommentPreview {
        author: valid.author.clone(),
        html: rendered.body_html,
    });
    page_with_form(state, permalink, held_ids, shown, StatusCode::OK).await
}

/// The whole post page (with this visitor's comments) and `form` as it
/// comes back to its writer: nothing published.
async fn page_with_form(
    state: &AppState,
    permalink: &Permalink,
    held_ids: &[i64],
    form: CommentForm,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let data = match load_post_page(state, permalink, held_ids.to_vec(), 1).await? {
        PostLookup::Found(data) => data,
        PostLookup::Moved(_) => return Err(PageError::NotFound),
    };
    let mut response = render_post_page(state, &data, PostPageView::refusal(form, status))?;
    response.extensions_mut().insert(NothingPublished);
    Ok(response)
}

/// A refusal: the whole post page (with this visitor's comments) and the
/// form as it was sent, answered with the refusal's status.
async fn refuse(
    state: &AppState,
    permalink: &Permalink,
    held_ids: &[i64],
    facts: &SubmissionFacts,
    form: &RawCommentForm,
    refusal: Refusal,
) -> Result<HttpResponse, PageError> {
    let mut values = form.submission();
    if matches!(refusal, Refusal::ParentGone) {
        // Sent again, it becomes a comment of its own.
        values.parent = None;
    }
    let open = !matches!(refusal, Refusal::Closed);
    let mut shown =
        CommentForm::refilled(open, values, facts.reply_name.as_deref(), &state.secret_key);
    shown.notice = Some(refusal.notice());
    let status = refusal.status();
    let retry_after = match refusal {
        Refusal::Invalid(errors) => {
            shown.errors = errors;
            None
        }
        // Whole seconds, rounded up, at least one.
        Refusal::TooMany { wait } => {
            Some((wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1))
        }
        _ => None,
    };
    let mut response = page_with_form(state, permalink, held_ids, shown, status).await?;
    if let Some(seconds) = retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
    }
    Ok(response)
}

/// The comment and the mail it causes, committed together in the next group
/// commit; with the address that shows the comment to its author.
async fn store(
    state: &AppState,
    facts: &SubmissionFacts,
    new_comment: NewComment,
    subscribe: bool,
) -> Result<Result<(Comment, String), Duplicate>, PageError> {
    let context = crate::mail::MailContext::of(state);
    let post = facts.post.clone();
    let page_path = comment_page_path(&facts.post.permalink(), facts.page);
    let shown_to_all = facts.page_is_everyones;
    let stored = state
        .writer
        .write(
            move |conn| -> Result<(Comment, String), CreateCommentError> {
                let comment = create_comment(conn, &new_comment)?;
                let path = format!("{page_path}#comment-{}", comment.id);
                comment_received(
                    conn,
                    &context,
                    &comment,
                    &post,
                    crate::mail::notify::Place {
                        path: &path,
                        shown_to_all,
                    },
                    subscribe,
                )?;
                Ok((comment, path))
            },
        )
        .await
        .map_err(|error| {
            // Not committed: no connection, or the commit failed (a full disk).
            tracing::error!(error = %error, "a comment could not be stored");
            PageError::Unavailable
        })?;
    match stored {
        Ok(stored) => Ok(Ok(stored)),
        Err(CreateCommentError::Duplicate) => Ok(Err(Duplicate)),
        Err(CreateCommentError::Database(error)) if crate::db::health::is_outage(&error) => {
            tracing::error!(error = %error, "a comment could not be stored");
            Err(PageError::Unavailable)
        }
        Err(CreateCommentError::Database(error)) => Err(PageError::Unexpected(error.into())),
    }
}

/// The same comment was stored before (same author and text).
struct Duplicate;

/// `303` to the stored comment; a held one is remembered in its author's
/// cookie, so they alone see it awaiting moderation.
fn accepted(
    state: &AppState,
    facts: &SubmissionFacts,
    held_ids: Vec<i64>,
    comment: Comment,
    verdict: Verdict,
    location: String,
) -> HttpResponse {
    tracing::info!(
        comment_id = comment.id,
        post_id = facts.post.id,
        status = CommentStatus::from(verdict).as_str(),
        "comment received"
    );
    let mut response = HttpResponse::SeeOther();
    response.insert_header((
        header::LOCATION,
        crate::domain::slug::percent_encode_path(&location),
    ));
    if verdict != Verdict::Approved {
        // Held and spam look the same to their author: "awaiting moderation".
        response.cookie(held_cookie(
            held_ids,
            comment.id,
            &state.secret_key,
            state.config.is_https(),
        ));
        // Readers' pages are unchanged.
        response.extensions_mut().insert(NothingPublished);
    } else {
        response.cookie(crate::routes::cache::fresh_cookie(state.config.is_https()));
    }
    let minutes = state.site().discussion.edit_minutes;
    if minutes > 0 {
        // Its author may change or delete it for a while, from this browser
        // (spam too: to its author it looks like any held comment).
        // The window opens as the comment is stored: the cookie lasts it all.
        response.cookie(crate::routes::comments::own::own_cookie(
            comment.id,
            comment.created_at + minutes * 60,
            comment.created_at,
            &state.secret_key,
            state.config.is_https(),
        ));
    }
    response.finish()
}

/// The `User-Agent`, cut to what is stored.
fn user_agent(request: &HttpRequest) -> String {
    request
        .headers()
        .get(header::USER_AGENT)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .chars()
        .take(MAX_USER_AGENT_CHARS)
        .collect()
}

/// Markdown takes CPU in proportion to the text: not on the threads that
/// serve connections.
async fn render(body: &str) -> Result<Rendered, PageError> {
    let body = body.to_owned();
    let body_html = web::block(move || render_comment(&body))
        .await
        .map_err(|error| PageError::Unexpected(anyhow::anyhow!("rendering failed: {error}")))?;
    Ok(Rendered { body_html })
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

impl BotSignals {
    fn of(form: &RawCommentForm, secret: &str, received_at: i64) -> BotSignals {
        BotSignals {
            honeypot_filled: form.fp_hp.as_deref().is_some_and(|value| !value.is_empty()),
            too_fast: sent_too_fast(
                secret,
                form.fp_ts.as_deref().unwrap_or_default(),
                received_at,
            ),
        }
    }
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
        spam_score: known.acting_spam_score(),
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
        spam_score: known.spam.as_ref().map_or(0.5, |score| score.value),
        spam_why: known
            .spam
            .as_ref()
            .map(|score| score.why(4))
            .unwrap_or_default(),
    }
}
