//! Discussion pages: the threads (by category, pinned first, what is new marked), one thread
//! with its replies and who has seen it, the thread form, and the stewards' categories. What
//! each person may do comes from the service's answer.

use commons_governance::moderation::TargetKind;
use maud::{html, Markup, PreEscaped};

use crate::db::discussions::ReplyRow;
use crate::db::discussions::{CategoryRow, FollowMode};
use crate::discussions::edits::SearchResults;
use crate::discussions::rules::Freshness;
use crate::discussions::service::{ThreadItem, ThreadList, ThreadPage};
use crate::http::session::Visitor;
use crate::i18n::Tr;
use crate::moderation::views::report_link;
use crate::views::art::{avatar, scene, Scene};
use crate::views::{csrf_field, error_summary, layout, CircleNav, Field, FormErrors};

fn base(slug: &str) -> String {
    format!("/c/{slug}/discussions")
}

/// The categories as tabs: all threads, then each category.
fn category_tabs(tr: &Tr, slug: &str, categories: &[CategoryRow], current: Option<i64>) -> Markup {
    html! {
        nav.tabs aria-label=(tr.t("discussion-categories")) {
            ul {
                li {
                    a href=(base(slug)) aria-current=[current.is_none().then_some("page")] { (tr.t("discussion-all")) }
                }
                @for category in categories {
                    li {
                        a href={(base(slug)) "?category=" (category.id)}
                            aria-current=[(current == Some(category.id)).then_some("page")] { (category.name) }
                    }
                }
            }
        }
    }
}

fn thread_item(tr: &Tr, slug: &str, item: &ThreadItem) -> Markup {
    let t = &item.thread;
    html! {
        li.thread-item.unread[item.freshness != Freshness::Seen && !item.muted] {
            (avatar(&t.author_username, &t.author_name, 40))
            div.thread-item-body {
                p.thread-item-title {
                    a href={(base(slug)) "/" (t.id)} { (t.title) }
                    @if t.pinned { " " span.badge { (tr.t("discussion-pinned")) } }
                    @match (item.muted, item.freshness) {
                        (true, _) => { " " span.badge.muted { (tr.t("discussion-muted-badge")) } }
                        (false, Freshness::Unopened) => { " " span.badge.fresh { (tr.t("discussion-new")) } }
                        (false, Freshness::NewReplies) => { " " span.badge.fresh { (tr.t("discussion-new-replies")) } }
                        (false, Freshness::Seen) => {}
                    }
                    @if let Some(number) = t.proposal_number {
                        " " span.badge { (tr.ta("discussion-became-proposal", &[("number", &number.to_string())])) }
                    }
                }
                p.meta {
                    (t.category_name) " · " (t.author_name) " · "
                    (tr.tn("discussion-replies-count", t.reply_count)) " · "
                    (tr.ta("discussion-active", &[("when", &crate::views::ago::ago(t.active_at_ms))]))
                }
            }
        }
    }
}

pub fn threads_page(
    v: &Visitor,
    nav: &CircleNav,
    list: &ThreadList,
    category: Option<i64>,
    page: i64,
) -> Markup {
    let tr = &v.tr;
    let slug = &nav.slug;
    let title = tr.t("discussions-title");
    let current = category.and_then(|id| list.categories.iter().find(|c| c.id == id));
    let new_href = match current {
        Some(c) => format!("{}/new?category={}", base(slug), c.id),
        None => format!("{}/new", base(slug)),
    };
    let page_href = |p: i64| match current {
        Some(c) => format!("{}?category={}&page={p}", base(slug), c.id),
        None => format!("{}?page={p}", base(slug)),
    };
    layout(
        v,
        Some(nav),
        &title,
        html! {
            div.page-head {
                h1 { (title) }
                a.button href=(new_href) { (tr.t("discussion-start")) }
            }
            p.lead { (tr.t("discussion-lead")) }
            (search_form(tr, slug, ""))
            (category_tabs(tr, slug, &list.categories, current.map(|c| c.id)))
            @if let Some(c) = current { @if !c.description.is_empty() { p.hint { (c.description) } } }
            @if list.threads.is_empty() {
                div.card.empty-state {
                    (scene(Scene::Talk))
                    p { (tr.t("discussions-none")) }
                    a.button.small.secondary href=(new_href) { (tr.t("discussion-start")) }
                }
            } @else {
                ul.thread-list {
                    @for item in &list.threads { (thread_item(tr, slug, item)) }
                }
            }
            nav.pager aria-label=(tr.t("discussion-pages")) {
                @if page > 0 { a href=(page_href(page - 1)) { (tr.t("discussion-newer")) } }
                @if list.more { a href=(page_href(page + 1)) { (tr.t("discussion-older")) } }
            }
            @if nav.is_steward {
                p { a href={(base(slug)) "/categories"} { (tr.t("discussion-edit-categories")) } }
            }
        },
    )
}

/// Follow, default or mute: three small forms, the current one marked.
fn follow_controls(v: &Visitor, action: &str, current: Option<FollowMode>) -> Markup {
    let tr = &v.tr;
    let choices = [
        ("follow", Some(FollowMode::Follow), "discussion-follow"),
        ("default", None, "discussion-follow-default"),
        ("mute", Some(FollowMode::Mute), "discussion-mute"),
    ];
    html! {
        div.follow-controls role="group" aria-labelledby="follow-title" {
            p #follow-title.hint { (tr.t(match current {
                Some(FollowMode::Follow) => "discussion-following-now",
                Some(FollowMode::Mute) => "discussion-muted-now",
                None => "discussion-default-now",
            })) }
            div.inline-actions {
                @for (value, mode, label) in choices {
                    @if mode != current {
                        form method="post" action=(action) {
                            (csrf_field(v))
                            input type="hidden" name="mode" value=(value);
                            button.button.secondary.small type="submit" { (tr.t(label)) }
                        }
                    }
                }
            }
        }
    }
}

fn manage(v: &Visitor, page: &ThreadPage, here: &str) -> Markup {
    let tr = &v.tr;
    let t = &page.thread;
    html! {
        div.actions {
            @if page.may_propose {
                form method="post" action={(here) "/proposal"} {
                    (csrf_field(v))
                    button.button type="submit" { (tr.t("discussion-to-proposal")) }
                }
            }
            @if page.may_change && !t.withdrawn {
                a.button.secondary href={(here) "/edit"} { (tr.t("discussion-edit")) }
            }
            @if page.may_pin && !t.withdrawn {
                form method="post" action={(here) "/pin"} {
                    (csrf_field(v))
                    input type="hidden" name="pinned" value=(if t.pinned { "0" } else { "1" });
                    button.button.secondary type="submit" { (tr.t(if t.pinned { "discussion-unpin" } else { "discussion-pin" })) }
                }
            }
            @if page.may_change && !t.withdrawn {
                form method="post" action={(here) "/withdraw"} {
                    (csrf_field(v))
                    button.button.danger type="submit" { (tr.t("discussion-withdraw")) }
                }
            }
        }
    }
}

fn seen_line(tr: &Tr, page: &ThreadPage) -> Markup {
    let names: Vec<&str> = page.seen_by.iter().map(|(_, name)| name.as_str()).collect();
    html! {
        @if page.seen_count > 0 {
            p.seen-by {
                (tr.tn("discussion-seen-by", page.seen_count)) " "
                (names.join(", "))
                @if page.seen_count > names.len() as i64 { " …" }
            }
        }
    }
}

pub fn thread_page(v: &Visitor, nav: &CircleNav, page: &ThreadPage, errors: &FormErrors) -> Markup {
    let tr = &v.tr;
    let t = &page.thread;
    let here = format!("{}/{}", base(&nav.slug), t.id);
    let me = v.user.as_ref().map(|u| u.id);
    layout(
        v,
        Some(nav),
        &t.title,
        html! {
            p.breadcrumb {
                a href=(base(&nav.slug)) { (tr.t("discussions-title")) } " › "
                a href={(base(&nav.slug)) "?category=" (t.category)} { (t.category_name) }
            }
            (error_summary(v, errors))
            article.card.thread {
                h1 { (t.title) }
                p.meta.person-line {
                    (avatar(&t.author_username, &t.author_name, 32))
                    span {
                        (t.author_name) " · " (crate::views::ago::time_ago(t.created_at_ms))
                        @if let Some(at) = t.edited_at_ms { " · " (edited(tr, at)) }
                    }
                    @if t.pinned { span.badge { (tr.t("discussion-pinned")) } }
                }
                @if page.held { p.notice { (tr.t("discussion-held")) } }
                @if t.withdrawn { p.notice { (tr.t("discussion-withdrawn")) } }
                @if let Some(number) = t.proposal_number {
                    p.notice {
                        a href={"/c/" (nav.slug) "/proposals/" (number)} {
                            (tr.ta("discussion-became-proposal-long", &[("number", &number.to_string())]))
                        }
                    }
                }
                div.proposal-body { (PreEscaped(commons_market::markdown::render(&t.body))) }
                @if me != Some(t.author_id) {
                    p.report { (report_link(v, &nav.slug, TargetKind::Thread, &t.id.to_string())) }
                }
                (manage(v, page, &here))
                (follow_controls(v, &format!("{here}/follow"), page.follow))
            }
            section aria-labelledby="replies-title" {
                h2 #replies-title { (tr.tn("discussion-replies-count", page.replies.len() as i64)) }
                @if page.replies.is_empty() { p.empty { (tr.t("discussion-replies-none")) } }
                ol.comments.replies {
                    @for reply in &page.replies {
                        li.comment id={"reply-" (reply.id)} {
                            p.comment-meta.person-line {
                                (avatar(&reply.author_username, &reply.author_name, 28))
                                span {
                                    strong { (reply.author_name) } " · " (crate::views::ago::time_ago(reply.created_at_ms))
                                    @if let Some(at) = reply.edited_at_ms { " · " (edited(tr, at)) }
                                }
                            }
                            div.comment-body { (PreEscaped(commons_market::markdown::render(&reply.body))) }
                            @if me != Some(reply.author_id) {
                                p.report { (report_link(v, &nav.slug, TargetKind::Reply, &reply.id.to_string())) }
                            } @else if !t.withdrawn {
                                p.report { a href={(here) "/replies/" (reply.id) "/edit"} { (tr.t("discussion-reply-edit")) } }
                            }
                        }
                    }
                }
                (seen_line(tr, page))
                @if !t.withdrawn {
                    form.card.stack #latest method="post" action={(here) "/replies"} {
                        (csrf_field(v))
                        (Field::new("reply", tr.t("discussion-reply"), "textarea", "").hint(tr.t("discussion-reply-hint")).render(errors))
                        button.button type="submit" { (tr.t("discussion-reply-send")) }
                    }
                }
            }
            p { a href=(base(&nav.slug)) { (tr.t("discussion-back")) } }
        },
    )
}

/// What the thread form shows: the text typed so far, and the thread being changed, if any.
#[derive(Debug, Default)]
pub struct ThreadForm<'a> {
    pub category: &'a str,
    pub title: &'a str,
    pub body: &'a str,
    pub editing: Option<i64>,
}

pub fn thread_form_page(
    v: &Visitor,
    nav: &CircleNav,
    categories: &[CategoryRow],
    form: &ThreadForm,
    errors: &FormErrors,
) -> Markup {
    let tr = &v.tr;
    let title = tr.t(if form.editing.is_some() {
        "discussion-edit"
    } else {
        "discussion-start"
    });
    let action = match form.editing {
        Some(id) => format!("{}/{id}/edit", base(&nav.slug)),
        None => base(&nav.slug),
    };
    let category_error = errors.for_field("category");
    layout(
        v,
        Some(nav),
        &title,
        html! {
            section.card.narrow {
                h1 { (title) }
                (error_summary(v, errors))
                form method="post" action=(action) {
                    (csrf_field(v))
                    div.field.has-error[category_error.is_some()] {
                        label for="category" { (tr.t("discussion-field-category")) }
                        @if let Some(error) = category_error { p.field-error #category-error { (error) } }
                        select #category name="category" aria-describedby=[category_error.map(|_| "category-error")] {
                            @for c in categories {
                                option value=(c.id) selected[form.category == c.id.to_string()] { (c.name) }
                            }
                        }
                    }
                    (Field::new("title", tr.t("discussion-field-title"), "text", form.title).render(errors))
                    (Field::new("body", tr.t("discussion-field-body"), "textarea", form.body).hint(tr.t("discussion-field-body-hint")).render(errors))
                    button.button type="submit" { (tr.t(if form.editing.is_some() { "discussion-save" } else { "discussion-start" })) }
                }
            }
        },
    )
}

/// The stewards' categories: each one's name and description to change, or to remove (its
/// threads move to another), and a new one to add.
pub fn categories_page(
    v: &Visitor,
    nav: &CircleNav,
    categories: &[CategoryRow],
    errors: &FormErrors,
) -> Markup {
    let tr = &v.tr;
    let title = tr.t("discussion-edit-categories");
    let slug = &nav.slug;
    layout(
        v,
        Some(nav),
        &title,
        html! {
            h1 { (title) }
            p.lead { (tr.t("discussion-categories-lead")) }
            (error_summary(v, errors))
            @for c in categories {
                section.card aria-labelledby={"category-" (c.id)} {
                    h2 id={"category-" (c.id)} { (c.name) }
                    form.stack method="post" action={(base(slug)) "/categories/" (c.id)} {
                        (csrf_field(v))
                        div.field {
                            label for={"name-" (c.id)} { (tr.t("discussion-category-name")) }
                            input id={"name-" (c.id)} name="name" type="text" value=(c.name) required;
                        }
                        div.field {
                            label for={"description-" (c.id)} { (tr.t("discussion-category-description")) }
                            input id={"description-" (c.id)} name="description" type="text" value=(c.description);
                        }
                        button.button.secondary.small type="submit" { (tr.ta("discussion-category-save", &[("name", &c.name)])) }
                    }
                    @if categories.len() > 1 {
                        form method="post" action={(base(slug)) "/categories/" (c.id) "/remove"} {
                            (csrf_field(v))
                            button.button.danger.small type="submit" { (tr.ta("discussion-category-remove", &[("name", &c.name)])) }
                        }
                    }
                }
            }
            section.card aria-labelledby="category-new" {
                h2 #category-new { (tr.t("discussion-category-add")) }
                form.stack method="post" action={(base(slug)) "/categories"} {
                    (csrf_field(v))
                    (Field::new("name", tr.t("discussion-category-name"), "text", "").render(errors))
                    (Field::new("description", tr.t("discussion-category-description"), "text", "").optional().render(errors))
                    button.button type="submit" { (tr.t("discussion-category-add")) }
                }
            }
            p { a href=(base(slug)) { (tr.t("discussion-back")) } }
        },
    )
}

/// "edited", with when in the `<time>`'s title.
fn edited(tr: &Tr, at_ms: i64) -> Markup {
    html! {
        time datetime=(crate::views::ago::machine_time(at_ms)) title=(crate::views::when(at_ms)) {
            (tr.t("discussion-edited"))
        }
    }
}

/// The search box: words to find in every thread and reply of the circle.
fn search_form(tr: &Tr, slug: &str, words: &str) -> Markup {
    html! {
        form.search-form role="search" method="get" action=(base(slug)) {
            label for="q" { (tr.t("discussion-search")) }
            div.search-row {
                input #q type="search" name="q" value=(words) maxlength="100";
                button.button.secondary type="submit" { (tr.t("discussion-search-send")) }
            }
        }
    }
}

/// What a search found, or why it could not search.
pub fn search_page(
    v: &Visitor,
    nav: &CircleNav,
    typed: &str,
    results: &Result<SearchResults, String>,
) -> Markup {
    let tr = &v.tr;
    let slug = &nav.slug;
    let title = tr.ta("discussion-search-title", &[("words", typed.trim())]);
    layout(
        v,
        Some(nav),
        &title,
        html! {
            p.breadcrumb { a href=(base(slug)) { (tr.t("discussions-title")) } " › " }
            h1 { (title) }
            (search_form(tr, slug, typed))
            @match results {
                Err(message) => { p.notice role="status" { (message) } }
                Ok(found) if found.threads.is_empty() && found.replies.is_empty() => {
                    p.empty { (tr.t("discussion-search-none")) }
                }
                Ok(found) => {
                    @if !found.threads.is_empty() {
                        h2 { (tr.t("discussion-search-threads")) }
                        ul.plain-list.search-results {
                            @for t in &found.threads {
                                li {
                                    a href={(base(slug)) "/" (t.id)} { (t.title) }
                                    p.hint { (t.author_name) " · " (crate::views::ago::ago(t.active_at_ms)) }
                                }
                            }
                        }
                    }
                    @if !found.replies.is_empty() {
                        h2 { (tr.t("discussion-search-replies")) }
                        ul.plain-list.search-results {
                            @for (reply, thread_title) in &found.replies {
                                li {
                                    a href={(base(slug)) "/" (reply.thread) "#reply-" (reply.id)} { (thread_title) }
                                    p { (snippet(&reply.body, &found.words)) }
                                    p.hint { (reply.author_name) " · " (crate::views::ago::ago(reply.created_at_ms)) }
                                }
                            }
                        }
                    }
                }
            }
        },
    )
}

/// A few words around where `words` first appear in `body` (plain text, at most ~160
/// characters).
fn snippet(body: &str, words: &str) -> String {
    let lower = body.to_lowercase();
    let chars: Vec<char> = body.chars().collect();
    let at = lower
        .find(&words.to_lowercase())
        .map_or(0, |byte| lower[..byte].chars().count());
    let start = at.saturating_sub(60);
    let text: String = chars.iter().skip(start).take(160).collect();
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match (start > 0, start + 160 < chars.len()) {
        (true, true) => format!("… {text} …"),
        (true, false) => format!("… {text}"),
        (false, true) => format!("{text} …"),
        (false, false) => text,
    }
}

/// The form to change one's own reply.
pub fn reply_edit_page(
    v: &Visitor,
    nav: &CircleNav,
    reply: &ReplyRow,
    typed: &str,
    errors: &FormErrors,
) -> Markup {
    let tr = &v.tr;
    let title = tr.t("discussion-reply-edit");
    let thread = format!("{}/{}", base(&nav.slug), reply.thread);
    layout(
        v,
        Some(nav),
        &title,
        html! {
            section.card.narrow {
                h1 { (title) }
                p.hint { (tr.t("discussion-reply-edit-hint")) }
                (error_summary(v, errors))
                form.stack method="post" action={(thread) "/replies/" (reply.id) "/edit"} {
                    (csrf_field(v))
                    (Field::new("reply", tr.t("discussion-reply"), "textarea", typed).hint(tr.t("discussion-reply-hint")).render(errors))
                    div.actions {
                        button.button type="submit" { (tr.t("discussion-reply-save")) }
                        a.button.secondary href={(thread) "#reply-" (reply.id)} { (tr.t("conversation-cancel")) }
                    }
                }
            }
        },
    )
}
