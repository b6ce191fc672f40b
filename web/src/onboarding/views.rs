//! The welcome page (the circle's agreements in short, mutual credit in three sentences with
//! the newcomer's own numbers, the first steps) and the first-steps card of the home.

use maud::{html, Markup};

use crate::http::session::Visitor;
use crate::i18n::Tr;
use crate::onboarding::rules::{FirstSteps, Step};
use crate::onboarding::service::Welcome;
use crate::views::{layout, CircleNav, Unit};

/// Where each first step is taken.
fn step_href(slug: &str, step: Step, introductions: Option<i64>) -> String {
    match step {
        Step::Profile => "/settings#profile-title".to_owned(),
        Step::Offer => format!("/c/{slug}/market/new?side=offer"),
        Step::Introduce => match introductions {
            Some(thread) => format!("/c/{slug}/discussions/{thread}#latest"),
            None => format!("/c/{slug}/discussions"),
        },
        Step::News => format!("/c/{slug}/news"),
    }
}

/// The checklist: each step, done or a link to do it.
pub fn checklist(tr: &Tr, slug: &str, steps: &FirstSteps, introductions: Option<i64>) -> Markup {
    html! {
        ol.checklist {
            @for step in Step::ALL {
                @let label = tr.t(&format!("first-step-{}", step.as_str()));
                @if steps.done(step) {
                    li.done {
                        span.check aria-hidden="true" { "✓" }
                        span { (label) " " span.visually-hidden { (tr.t("first-step-done")) } }
                    }
                } @else {
                    li {
                        span.check aria-hidden="true" {}
                        a href=(step_href(slug, step, introductions)) { (label) }
                    }
                }
            }
        }
    }
}

/// The home's card for a newcomer: how far they are, and the steps.
pub fn first_steps_card(tr: &Tr, slug: &str, steps: &FirstSteps) -> Markup {
    html! {
        section.card.first-steps aria-labelledby="first-steps-title" {
            div.section-head {
                h2 #first-steps-title { (tr.t("first-steps-title")) }
                a href={"/c/" (slug) "/welcome"} { (tr.t("first-steps-welcome")) }
            }
            p.hint { (tr.ta("first-steps-progress", &[("done", &steps.count_done().to_string()), ("total", &Step::ALL.len().to_string())])) }
            (checklist(tr, slug, steps, None))
        }
    }
}

pub fn welcome_page(v: &Visitor, nav: &CircleNav, unit: &Unit, w: &Welcome) -> Markup {
    let tr = &v.tr;
    let name = v
        .user
        .as_ref()
        .map(|u| u.display_name.clone())
        .unwrap_or_default();
    let title = tr.ta("circle-welcome-title", &[("circle", &nav.name)]);
    layout(
        v,
        Some(nav),
        &title,
        html! {
            div.home-hero {
                h1 { (title) }
                p.lead { (tr.ta("welcome-greeting", &[("name", &name)])) }
            }
            div.grid {
                section.card aria-labelledby="credit-title" {
                    h2 #credit-title { (tr.t("welcome-credit-title")) }
                    p { (tr.ta("welcome-credit-1", &[("unit", &unit.name), ("balance", &unit.money(w.balance_minor))])) }
                    p { (tr.ta("welcome-credit-2", &[("floor", &unit.money(w.floor_minor)), ("ceiling", &unit.money(w.ceiling_minor))])) }
                    p { (tr.t("welcome-credit-3")) }
                }
                section.card aria-labelledby="steps-title" {
                    h2 #steps-title { (tr.t("first-steps-title")) }
                    p.hint { (tr.ta("first-steps-progress", &[("done", &w.steps.count_done().to_string()), ("total", &Step::ALL.len().to_string())])) }
                    (checklist(tr, &nav.slug, &w.steps, w.introductions))
                }
            }
            section.card aria-labelledby="agreements-title" {
                h2 #agreements-title { (tr.t("welcome-agreements")) }
                @if w.agreements.is_empty() {
                    p.empty { (tr.t("welcome-agreements-none")) }
                } @else {
                    ol.agreements {
                        @for agreement in &w.agreements { li { (agreement.text) } }
                    }
                }
                p.hint { (tr.t("welcome-agreements-hint")) }
            }
            p { a.button href={"/c/" (nav.slug)} { (tr.t("welcome-to-home")) } }
        },
    )
}
