//! News pages: the circle's news (pinned first), one post with its comments, and the form to
//! write or change a post. What each person may do comes from the service's answer.

use commons_governance::moderation::TargetKind;
use maud::{html, Markup, PreEscaped};

use crate::db::news::NewsRow;
use crate::http::session::Visitor;
use crate::moderation::views::report_link;
use crate::news::service::NewsPage;
use crate::views::{csrf_field, error_summary, layout, CircleNav, Field, FormErrors};

/// The first words of a post's text, for the list (Markdown shown as plain text).
fn excerpt(body: &str) -> String {
    let plain: String = body
        .chars()
        .filter(|c| !matches!(c, '#' | '*' | '_' | '`' | '>' | '[' | ']'))
        .collect();
    let words: Vec<&str> = plain.split_whitespace().collect();
    let mut text = words.iter().take(40).copied().collect::<Vec<_>>().join(" ");
    if words.len() > 40 {
        text.push_str(" …");
    }
    text
}

pub fn news_list_page(
    v: &Visitor,
    nav: &CircleNav,
    posts: &[NewsRow],
    may_post: bool,
    members_may_post: bool,
    older: Option<i64>,
) -> Markup {
    let tr = &v.tr;
    let title = tr.t("news-title");
    layout(
        v,
        Some(nav),
        &title,
        html! {
            div.page-head {
                h1 { (title) }
                @if may_post {
                    a.button href={"/c/" (nav.slug) "/news/new"} { (tr.t("news-new")) }
                }
            }
            @if posts.is_empty() {
                p.empty { (tr.t(if may_post { "news-none-post" } else { "news-none" })) }
            }
            @for post in posts {
                article.card.news-card {
                    h2 {
                        a href={"/c/" (nav.slug) "/news/" (post.id)} { (post.title) }
                    }
                    p.meta {
                        @if post.pinned { span.badge { (tr.t("news-pinned")) } " " }
                        (post.author_name) " · " (crate::views::ago::time_ago(post.created_at_ms))
                        @if post.comment_count > 0 { " · " (tr.tn("news-comments-count", post.comment_count)) }
                    }
                    p { (excerpt(&post.body)) }
                }
            }
            @if let Some(older) = older {
                p { a href={"/c/" (nav.slug) "/news?before=" (older)} { (tr.t("news-older")) } }
            }
            @if nav.is_steward {
                form.card method="post" action={"/c/" (nav.slug) "/news/settings"} {
                    (csrf_field(v))
                    div.field.checkbox {
                        input #members_may_post type="checkbox" name="members_may_post" checked[members_may_post];
                        label for="members_may_post" { (tr.t("news-members-may-post")) }
                    }
                    button.button.secondary.small type="submit" { (tr.t("news-settings-save")) }
                }
            }
        },
    )
}

pub fn news_post_page(
    v: &Visitor,
    nav: &CircleNav,
    page: &NewsPage,
    errors: &FormErrors,
) -> Markup {
    let tr = &v.tr;
    let post = &page.post;
    let base = format!("/c/{}/news/{}", nav.slug, post.id);
    let me = v.user.as_ref().map(|u| u.id);
    layout(
        v,
        Some(nav),
        &post.title,
        html! {
            (error_summary(v, errors))
            article.card.news-post {
                p.meta {
                    @if post.pinned { span.badge { (tr.t("news-pinned")) } " " }
                    (post.author_name) " · " (crate::views::ago::time_ago(post.created_at_ms))
                }
                h1 { (post.title) }
                @if page.held { p.notice { (tr.t("news-held")) } }
                @if post.withdrawn { p.notice { (tr.t("news-withdrawn")) } }
                div.proposal-body { (PreEscaped(commons_market::markdown::render(&post.body))) }
                (photo_gallery(v, &base, page))
                @if me != Some(post.author_id) {
                    p.report { (report_link(v, &nav.slug, TargetKind::News, &post.id.to_string())) }
                }
                @if page.may_change && !post.withdrawn {
                    (manage(v, page, &base))
                }
                @if let (Some(shared), false) = (page.public, post.withdrawn) {
                    (crate::public::views::share_form(v, &nav.slug, crate::public::rules::Shared::News, post.id, shared))
                }
            }
            section aria-labelledby="news-comments-title" {
                h2 #news-comments-title { (tr.t("news-comments")) }
                @if page.comments.is_empty() { p.empty { (tr.t("news-comments-none")) } }
                ul.comments {
                    @for comment in &page.comments {
                        li.comment id={"comment-" (comment.id)} {
                            p.comment-meta { strong { (comment.author_name) } " · " (crate::views::ago::time_ago(comment.created_at_ms)) }
                            div.comment-body { (PreEscaped(commons_market::markdown::render(&comment.body))) }
                            @if me != Some(comment.author_id) {
                                p.report { (report_link(v, &nav.slug, TargetKind::NewsComment, &comment.id.to_string())) }
                            }
                        }
                    }
                }
                @if !post.withdrawn {
                    form.card.stack method="post" action={(base) "/comments"} {
                        (csrf_field(v))
                        (Field::new("comment", tr.t("news-comment"), "textarea", "").render(errors))
                        button.button.secondary type="submit" { (tr.t("news-comment-send")) }
                    }
                }
            }
            p { a href={"/c/" (nav.slug) "/news"} { (tr.t("news-back")) } }
        },
    )
}

fn manage(v: &Visitor, page: &NewsPage, base: &str) -> Markup {
    let tr = &v.tr;
    html! {
        div.actions {
            a.button.secondary href={(base) "/edit"} { (tr.t("news-edit")) }
            @if page.may_pin {
                form method="post" action={(base) "/pin"} {
                    (csrf_field(v))
                    input type="hidden" name="pinned" value=(if page.post.pinned { "0" } else { "1" });
                    button.button.secondary type="submit" { (tr.t(if page.post.pinned { "news-unpin" } else { "news-pin" })) }
                }
            }
            form method="post" action={(base) "/withdraw"} {
                (csrf_field(v))
                button.button.danger type="submit" { (tr.t("news-withdraw")) }
            }
        }
    }
}

/// What the news form shows: the text typed so far, and whether the writer may pin and
/// announce.
#[derive(Debug, Default)]
pub struct NewsForm<'a> {
    pub title: &'a str,
    pub body: &'a str,
    pub steward: bool,
    /// The post being changed, if any.
    pub editing: Option<i64>,
}

pub fn news_form_page(
    v: &Visitor,
    nav: &CircleNav,
    form: &NewsForm,
    errors: &FormErrors,
) -> Markup {
    let tr = &v.tr;
    let title = tr.t(if form.editing.is_some() {
        "news-edit"
    } else {
        "news-new"
    });
    let action = match form.editing {
        Some(id) => format!("/c/{}/news/{id}/edit", nav.slug),
        None => format!("/c/{}/news", nav.slug),
    };
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
                    (Field::new("title", tr.t("news-field-title"), "text", form.title).render(errors))
                    (Field::new("body", tr.t("news-field-body"), "textarea", form.body).hint(tr.t("news-field-body-hint")).render(errors))
                    @if form.steward && form.editing.is_none() {
                        div.field.checkbox {
                            input #pinned type="checkbox" name="pinned";
                            label for="pinned" { (tr.t("news-field-pinned")) }
                        }
                        div.field.checkbox {
                            input #announce type="checkbox" name="announce";
                            label for="announce" { (tr.t("news-field-announce")) }
                        }
                    }
                    button.button type="submit" { (tr.t(if form.editing.is_some() { "news-save" } else { "news-publish" })) }
                }
            }
        },
    )
}

/// A post's photos (each opens full size), with a remove button and the form to add one for
/// whoever may change the post.
fn photo_gallery(v: &Visitor, base: &str, page: &NewsPage) -> Markup {
    let tr = &v.tr;
    html! {
        @if !page.photos.is_empty() {
            ul.news-photos {
                @for photo in &page.photos {
                    li {
                        a href={(base) "/photos/" (photo.id) "/full.jpg"} {
                            img src={(base) "/photos/" (photo.id) "/thumb.jpg"} alt=(photo.alt) loading="lazy";
                        }
                        @if page.may_change {
                            form method="post" action={(base) "/photos/" (photo.id) "/delete"} {
                                (csrf_field(v))
                                button.link-button type="submit" { (tr.ta("market-photo-delete", &[("alt", &photo.alt)])) }
                            }
                        }
                    }
                }
            }
        }
        @if let (true, Some(upload)) = (
            page.photos.len() < crate::db::news_photos::NEWS_PHOTOS_PER_POST_MAX as usize,
            &page.upload_token,
        ) {
            details.news-photo-add {
                summary { (tr.t("market-photo-add")) }
                (crate::views::photo_upload_form(v, &format!("{base}/photos?upload={upload}")))
            }
        }
    }
}
