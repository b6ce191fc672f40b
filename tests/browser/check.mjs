// Browser checks of the Commons web space in Debian's Chromium (never a downloaded browser):
//   1. axe (wcag2a, wcag2aa, wcag21a, wcag21aa, wcag22aa with target-size, best-practice) on every page of the demo, as a
//      member and as a steward, in light and dark mode, desktop and 360 px wide;
//   2. keyboard-only walkthroughs of paying a member, paying across a link, writing a message, and voting and
//      changing the vote (Tab, typing, Enter; no mouse);
//   3. with SCREENSHOTS=dir, screenshots of the main pages (desktop and 360 px).
// Usage: node check.mjs BASE_URL   (the server must run the demo: `commons serve --demo`).
// Exits 1 on any violation, with each one listed.

import { readFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const base = process.argv[2];
if (!base) {
  console.error("usage: node check.mjs BASE_URL");
  process.exit(2);
}
const screenshots = process.env.SCREENSHOTS || "";
const password = "demo-password";
const slug = "riverside";
const failures = [];

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
  ],
});

async function newPage(options = {}) {
  const context = await browser.newContext({ javaScriptEnabled: false, ...options });
  const page = await context.newPage();
  // Promise 5: no request leaves the node.
  page.on("request", (request) => {
    const url = request.url();
    if (!url.startsWith(base) && !url.startsWith("data:")) {
      failures.push(`a request left the node: ${url}`);
    }
  });
  return { context, page };
}

async function logIn(page, username) {
  await page.goto(`${base}/login`);
  await page.fill("#username", username);
  await page.fill("#password", password);
  await Promise.all([page.waitForNavigation(), page.click("button[type=submit]:has-text('Log in')")]);
}

// axe needs JavaScript in the page; pages themselves are checked without it, so axe runs in a
// separate context that allows scripts only for its own injection, with reduced motion (so no
// colour is measured halfway through a transition).
async function axeCheck(url, cookies, label, options, expectedStatus = 200) {
  const context = await browser.newContext({ javaScriptEnabled: true, bypassCSP: true, reducedMotion: "reduce", ...options });
  await context.addCookies(cookies);
  const page = await context.newPage();
  const response = await page.goto(url);
  if (!response || response.status() !== expectedStatus) {
    failures.push(`${label} ${url}: HTTP ${response && response.status()}`);
  }
  // No literal Markdown or backticks in what a page says (a hint may show Markdown's syntax;
  // code, forms and typed text are what people wrote).
  const literal = await page.evaluate(() => {
    const body = document.body.cloneNode(true);
    for (const node of body.querySelectorAll(".hint, code, pre, textarea, input, script, style")) node.remove();
    const text = body.textContent;
    return ["`", "**"].filter((mark) => text.includes(mark));
  });
  if (literal.length > 0) {
    failures.push(`${label} ${url}: literal ${literal.join(" and ")} in the page's text`);
  }
  await page.addScriptTag({ content: axeSource });
  const result = await page.evaluate(async () =>
    // eslint-disable-next-line no-undef
    await axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"] },
    }),
  );
  for (const violation of result.violations) {
    const nodes = violation.nodes.map((node) => node.target.join(" ")).slice(0, 5).join(" | ");
    failures.push(`${label} ${url}: ${violation.id} (${violation.impact}): ${violation.help} — ${nodes}`);
  }
  await context.close();
  return result.violations.length;
}

const memberPages = [
  "/",
  `/c/${slug}`,
  `/c/${slug}/pay`,
  `/c/${slug}/pay/across`,
  `/c/${slug}/request`,
  `/c/${slug}/request/across`,
  `/c/${slug}/market/across`,
  `/c/${slug}/market/across?q=guitar+lessons`,
  `/c/${slug}/ledger`,
  `/c/${slug}/ledger/verify`,
  `/c/${slug}/ledger?member=ben&kind=payments`,
  `/c/${slug}/ledger?member=nobody-here`,
  `/c/${slug}/statement`,
  `/c/${slug}/welcome`,
  `/c/${slug}/members`,
  `/c/${slug}/members?q=bike`,
  `/c/${slug}/members?skill=sourdough`,
  `/c/${slug}/members/ben`,
  `/c/${slug}/invitations`,
  "/settings",
  "/settings/account",
  "/settings/advanced",
  "/settings/email",
  "/email/verify/not-a-real-token",
  "/circles",
  `/c/${slug}/market`,
  `/c/${slug}/market?q=bicycle&side=offer`,
  `/c/${slug}/market?q=zebedee`,
  `/c/${slug}/market/new`,
  `/c/${slug}/market/7`,
  `/c/${slug}/market/6`,
  `/c/${slug}/market/mine`,
  `/c/${slug}/market/matches`,
  `/c/${slug}/events`,
  `/c/${slug}/deals`,
  "/notifications",
  `/c/${slug}/proposals`,
  `/c/${slug}/proposals/1`,
  `/c/${slug}/proposals/2`,
  `/c/${slug}/proposals/3`,
  `/c/${slug}/proposals/4`,
  `/c/${slug}/proposals/5`,
  `/c/${slug}/proposals/new`,
  `/c/${slug}/proposals/new?action=appoint-moderator`,
  `/c/${slug}/delegation`,
  `/c/${slug}/news`,
  `/c/${slug}/news/2`,
  `/c/${slug}/discussions`,
  `/c/${slug}/discussions?category=2`,
  `/c/${slug}/discussions?q=bread`,
  `/c/${slug}/discussions?q=a`,
  `/c/${slug}/discussions/1`,
  `/c/${slug}/discussions/2`,
  `/c/${slug}/discussions/new`,
  `/c/${slug}/moderation`,
  `/c/${slug}/moderation/actions/0`,
  `/c/${slug}/report/member/chen`,
  `/c/${slug}/report/listing/7`,
  "/settings/data",
  `/c/${slug}/messages`,
  `/c/${slug}/messages/new?to=chen`,
  `/c/${slug}/messages/2`,
  `/c/${slug}/messages/2/report`,
];
// Pages only Ben may see: his own listing (with its matches and photo form), its edit form,
// his deal with Chen, the form to change his reply, and his conversation with Chen.
const benPages = [`/c/${slug}/market/1`, `/c/${slug}/market/1/edit`, `/c/${slug}/deals/1`, `/c/${slug}/discussions/1/replies/1/edit`, `/c/${slug}/messages/1`, `/c/${slug}/messages/1/report`];
// Moderation pages only moderators (amara, a steward) may see, and the repair conversation she
// facilitates.
const moderatorPages = [
  `/c/${slug}/moderation/queue`,
  `/c/${slug}/moderation/cases/4`,
  `/c/${slug}/moderation/cases/1`,
  `/c/${slug}/moderation/cases/2`,
  `/c/${slug}/repairs/1`,
];
const stewardPages = [
  `/c/${slug}/steward`,
  `/c/${slug}/steward/settings`,
  `/c/${slug}/steward/audit`,
  `/ask/${slug}`,
  "/circles/new",
  `/c/${slug}/steward/categories`,
  `/c/${slug}/steward/public`,
  `/c/${slug}/news/new`,
  `/c/${slug}/news/2/edit`,
  `/c/${slug}/discussions/categories`,
  `/c/${slug}/discussions/2/edit`,
  ...moderatorPages,
];
const publicPages = [
  ["/", 200], ["/login", 200], ["/privacy", 200], ["/nothing-here", 404], [`/c/${slug}/ledger-nope`, 404],
  [`/p/${slug}`, 200], [`/p/${slug}/news/2`, 200], [`/p/${slug}/listings/6`, 200], [`/p/${slug}/people/ben`, 200],
  [`/p/${slug}/people/chen`, 404], ["/p/nowhere", 404],
];

let pagesChecked = 0;
const variants = [
  { name: "desktop light", options: { viewport: { width: 1280, height: 900 }, colorScheme: "light" } },
  { name: "360px dark", options: { viewport: { width: 360, height: 800 }, colorScheme: "dark" } },
];

// Anonymous pages.
for (const variant of variants) {
  for (const [path, status] of publicPages) {
    await axeCheck(`${base}${path}`, [], `anonymous ${variant.name}`, variant.options, status);
    pagesChecked++;
  }
  // The public page in Spanish: the stewards' Spanish texts and the translated frame.
  for (const path of ["/", `/p/${slug}`, `/p/${slug}/listings/6`]) {
    await axeCheck(`${base}${path}`, [{ name: "commons_lang", value: "es", url: base }], `anonymous (es) ${variant.name}`, variant.options);
    pagesChecked++;
  }
}

// Every page a member or a steward sees, in Spanish too (every text from the catalogue), in the
// two other combinations of width and colour: with the English runs below, each page is checked
// at 1280 and 360 px, light and dark, in both languages.
const otherVariants = [
  { name: "desktop dark", options: { viewport: { width: 1280, height: 900 }, colorScheme: "dark" } },
  { name: "360px light", options: { viewport: { width: 360, height: 800 }, colorScheme: "light" } },
];
{
  const { context, page } = await newPage();
  await logIn(page, "amara");
  const cookies = [...(await context.cookies()), { name: "commons_lang", value: "es", url: base }];
  for (const variant of otherVariants) {
    for (const path of [...memberPages, ...stewardPages]) {
      await axeCheck(`${base}${path}`, cookies, `amara (es) ${variant.name}`, variant.options);
      pagesChecked++;
    }
  }
  await context.close();
}

// The result bars, drawn with the node's CSP in force (no inline style): each bar's length,
// measured in the page, is its count's share of the chart's total.
{
  const context = await browser.newContext({ javaScriptEnabled: true, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await logIn(page, "ben");
  let charts = 0;
  for (const number of [1, 2]) {
    await page.goto(`${base}/c/${slug}/proposals/${number}`);
    const measured = await page.evaluate(() =>
      [...document.querySelectorAll(".bar-chart")].map((chart) => ({
        total: Number(chart.dataset.total),
        rows: [...chart.querySelectorAll(".bar-row")].map((row) => ({
          value: Number(row.querySelector(".bar-value").textContent),
          track: row.querySelector(".bar-track").getBoundingClientRect().width,
          bar: row.querySelector(".bar").getBoundingClientRect().width,
        })),
      })),
    );
    for (const chart of measured) {
      charts++;
      for (const row of chart.rows) {
        const expected = chart.total ? Math.max(row.value ? 0.004 : 0, row.value / chart.total) : 0;
        const drawn = row.track ? row.bar / row.track : -1;
        if (Math.abs(drawn - expected) > 0.01) {
          failures.push(`proposal ${number}: a bar of ${row.value} of ${chart.total} is drawn ${(drawn * 100).toFixed(1)} % long`);
        }
      }
    }
  }
  if (charts === 0) failures.push("no result bars were found on proposals 1 and 2");
  await context.close();
}

// A member (ben) and a steward (amara).
for (const [username, pages] of [["ben", [...memberPages, ...benPages]], ["amara", [...memberPages, ...stewardPages]]]) {
  const { context, page } = await newPage();
  await logIn(page, username);
  const cookies = await context.cookies();
  for (const variant of variants) {
    for (const path of pages) {
      await axeCheck(`${base}${path}`, cookies, `${username} ${variant.name}`, variant.options);
      pagesChecked++;
    }
  }
  // Pages with errors shown (error summary, invalid fields) are pages too.
  await page.goto(`${base}/c/${slug}/pay`);
  await page.fill("#member", "amara" === username ? "ben" : "amara");
  await page.fill("#amount", "500");
  await Promise.all([page.waitForNavigation(), page.click("button[type=submit]:has-text('Pay')")]);
  const errorHtml = await page.content();
  if (!errorHtml.includes("Not enough credit")) failures.push(`${username}: paying 500 did not show the limit message`);
  const errorContext = await browser.newContext({ javaScriptEnabled: true, bypassCSP: true, reducedMotion: "reduce" });
  const errorPage = await errorContext.newPage();
  await errorPage.setContent(errorHtml.replace("<head>", `<head><base href="${base}/">`));
  await errorPage.addScriptTag({ content: axeSource });
  const errorResult = await errorPage.evaluate(async () =>
    // eslint-disable-next-line no-undef
    await axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"] } }),
  );
  for (const violation of errorResult.violations) {
    const nodes = violation.nodes.map((node) => `${node.target.join(" ")} ${node.failureSummary || ""}`).slice(0, 3).join(" | ");
    failures.push(`${username} pay-with-errors: ${violation.id}: ${violation.help} — ${nodes}`);
  }
  pagesChecked++;
  // The listing form with every kind of error shown.
  await page.goto(`${base}/c/${slug}/market/new`);
  await page.fill("#title", "");
  await page.check("#value_kind-0");
  await page.fill("#expires_in_days", "999");
  await Promise.all([page.waitForNavigation(), page.click("button[type=submit]:has-text('Publish')")]);
  const listingErrors = await page.content();
  if (!listingErrors.includes("Give your listing a title")) failures.push(`${username}: the listing form did not explain its errors`);
  await errorPage.setContent(listingErrors.replace("<head>", `<head><base href="${base}/">`));
  await errorPage.addScriptTag({ content: axeSource });
  const listingResult = await errorPage.evaluate(async () =>
    // eslint-disable-next-line no-undef
    await axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"] } }),
  );
  for (const violation of listingResult.violations) {
    const nodes = violation.nodes.map((node) => `${node.target.join(" ")} ${node.failureSummary || ""}`).slice(0, 3).join(" | ");
    failures.push(`${username} listing-with-errors: ${violation.id}: ${violation.help} — ${nodes}`);
  }
  pagesChecked++;
  // The proposal form with its errors shown.
  await page.goto(`${base}/c/${slug}/proposals/new`);
  await page.fill("#title", "");
  await page.check("#method-irv");
  await page.fill("#options", "Only one");
  await Promise.all([page.waitForNavigation(), page.click("button[type=submit]:has-text('Save the proposal')")]);
  const proposalErrors = await page.content();
  if (!proposalErrors.includes("Give the proposal a title")) failures.push(`${username}: the proposal form did not explain its errors`);
  await errorPage.setContent(proposalErrors.replace("<head>", `<head><base href="${base}/">`));
  await errorPage.addScriptTag({ content: axeSource });
  const proposalResult = await errorPage.evaluate(async () =>
    // eslint-disable-next-line no-undef
    await axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"] } }),
  );
  for (const violation of proposalResult.violations) {
    const nodes = violation.nodes.map((node) => `${node.target.join(" ")} ${node.failureSummary || ""}`).slice(0, 3).join(" | ");
    failures.push(`${username} proposal-with-errors: ${violation.id}: ${violation.help} — ${nodes}`);
  }
  pagesChecked++;
  await context.close();
}

// Pages reached through one-time links: an invitation (opened by someone new) and a recovery
// link (made for Kai, opened by Kai). Made through the forms, as a steward would.
{
  const { context, page } = await newPage();
  await logIn(page, "amara");
  await page.goto(`${base}/c/${slug}/invitations`);
  await page.fill("#note", "A neighbour");
  await Promise.all([page.waitForNavigation(), page.click("button[type=submit]:has-text('Make a link')")]);
  const invitation = await page.inputValue("#new-link");
  await page.goto(`${base}/c/${slug}/steward`);
  await page.selectOption("#recovery-member", "kai");
  await Promise.all([page.waitForNavigation(), page.click("button[type=submit]:has-text('Make a recovery link')")]);
  const recovery = await page.inputValue("#recovery-link");
  await context.close();
  for (const variant of variants) {
    await axeCheck(invitation, [], `newcomer ${variant.name}`, variant.options);
    await axeCheck(recovery, [], `recovering member ${variant.name}`, variant.options);
    pagesChecked += 2;
  }
}

// Keyboard only: Lena pays Jo 1.5 hours without touching the mouse, JavaScript off.
{
  const { context, page } = await newPage({ viewport: { width: 1280, height: 900 } });
  await logIn(page, "lena");
  await page.goto(`${base}/c/${slug}`);
  const focused = async () =>
    page.evaluate(() => {
      const el = document.activeElement;
      return el ? `${el.tagName.toLowerCase()}#${el.id}|${(el.textContent || "").trim().slice(0, 40)}|${el.getAttribute("href") || ""}` : "";
    });
  // The first Tab reaches the skip link, which is visible when focused.
  await page.keyboard.press("Tab");
  const first = await focused();
  if (!first.includes("#main")) failures.push(`keyboard: the first Tab should reach the skip link, got ${first}`);
  const skipVisible = await page.evaluate(() => document.activeElement.getBoundingClientRect().top >= 0);
  if (!skipVisible) failures.push("keyboard: the skip link is not visible when focused");
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  if (outline === "none") failures.push("keyboard: focus is not visible on the skip link");
  // Tab to the "Pay" link of the circle navigation and follow it with Enter.
  let found = false;
  for (let i = 0; i < 30 && !found; i++) {
    await page.keyboard.press("Tab");
    const now = await focused();
    if (now.includes(`/c/${slug}/pay`)) found = true;
  }
  if (!found) failures.push("keyboard: the Pay link cannot be reached with Tab");
  await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
  if (!page.url().endsWith(`/c/${slug}/pay`)) failures.push(`keyboard: Enter on Pay went to ${page.url()}`);
  // Tab to the one "who" field and type Jo's whole name (the browser suggests members as
  // one types; a whole name or a username is understood).
  let onMember = false;
  for (let i = 0; i < 30 && !onMember; i++) {
    await page.keyboard.press("Tab");
    onMember = (await focused()).startsWith("input#member");
  }
  if (!onMember) failures.push("keyboard: the member field cannot be reached with Tab");
  await page.keyboard.type("Jo Mensah");
  await page.keyboard.press("Tab");
  if (!(await focused()).startsWith("input#amount")) failures.push(`keyboard: after the member comes ${await focused()}`);
  await page.keyboard.type("1.5");
  await page.keyboard.press("Tab");
  await page.keyboard.type("Walked the dog");
  await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
  const after = await page.content();
  if (!after.includes("You paid 1.5 h to Jo Mensah") && !after.includes("You paid 1.50 h to Jo Mensah")) {
    failures.push("keyboard: the payment was not confirmed");
  }
  if (screenshots) {
    mkdirSync(screenshots, { recursive: true });
    await page.screenshot({ path: `${screenshots}/paid-desktop.png`, fullPage: true });
  }
  await context.close();
}

// Keyboard only, JavaScript off: a walk through a page's controls, by Tab alone.
async function keyboardPage(user) {
  const { context, page } = await newPage({ viewport: { width: 1280, height: 900 } });
  await logIn(page, user);
  const focused = async () =>
    page.evaluate(() => {
      const el = document.activeElement;
      return el ? `${el.tagName.toLowerCase()}#${el.id}|${(el.textContent || "").trim().slice(0, 40)}|${el.getAttribute("href") || ""}` : "";
    });
  const tabTo = async (label, matches) => {
    for (let i = 0; i < 60; i++) {
      await page.keyboard.press("Tab");
      if (matches(await focused())) return true;
    }
    failures.push(`keyboard (${user}): ${label} cannot be reached with Tab`);
    return false;
  };
  return { context, page, focused, tabTo };
}

// Keyboard only: Lena writes to Jo from Jo's page.
{
  const { context, page, tabTo } = await keyboardPage("lena");
  await page.goto(`${base}/c/${slug}/members/jo`);
  if (await tabTo("Write a message", (f) => f.includes("/messages/new?to=jo"))) {
    await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
    const to = await page.evaluate(() => document.querySelector("#to").value);
    if (to !== "jo") failures.push(`keyboard: the message form is not addressed to Jo (${to})`);
    await tabTo("the message box", (f) => f.startsWith("textarea#body"));
    await page.keyboard.type("Hello Jo, could you walk Biscuit on Friday?");
    await tabTo("Send", (f) => f.startsWith("button#|Send"));
    await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
    const sent = await page.content();
    if (!page.url().includes("/messages/") || !sent.includes("could you walk Biscuit")) {
      failures.push(`keyboard: the message was not sent (${page.url()})`);
    }
  }
  await context.close();
}

// The café's listing as Riverside sees it (its address holds the café's id, read from the
// across page), in every variant; and by keyboard, from the listing to the pay-across form
// filled in with Joy and the amount in hours.
{
  const { context, page, tabTo } = await keyboardPage("ben");
  await page.goto(`${base}/c/${slug}/market/across?q=lamp`);
  const href = await page.evaluate(() => {
    const link = document.querySelector("a[href*='/market/across/']");
    return link ? link.getAttribute("href") : "";
  });
  if (!href) {
    failures.push("the across page lists no listing of the café for 'lamp'");
  } else {
    const cookies = await context.cookies();
    for (const variant of [...variants, ...otherVariants]) {
      await axeCheck(`${base}${href}`, cookies, `ben across ${variant.name}`, variant.options);
      pagesChecked++;
    }
    await page.goto(`${base}${href}`);
    if (await tabTo("Pay Joy Asante across", (f) => f.includes("Pay Joy Asante across"))) {
      await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
      const form = await page.content();
      if (!page.url().includes("/pay/across") || !form.includes('value="joy"') || !form.includes('value="2.00"')) {
        failures.push(`keyboard: the listing across did not lead to the filled-in pay form (${page.url()})`);
      }
    }
  }
  await context.close();
}

// Ben's deal with Kofi of the café (the demo plants it at "terms proposed"): his deals page
// and the deal across pass axe in every variant; by keyboard he agrees to Kofi's terms.
{
  const { context, page, tabTo } = await keyboardPage("ben");
  await page.goto(`${base}/c/${slug}/deals`);
  const href = await page.evaluate(() => {
    const link = document.querySelector("a[href*='/deals/across/']");
    return link ? link.getAttribute("href") : "";
  });
  if (!href) {
    failures.push("ben's deals page lists no deal across");
  } else {
    const cookies = await context.cookies();
    for (const variant of [...variants, ...otherVariants]) {
      await axeCheck(`${base}/c/${slug}/deals`, cookies, `ben deals ${variant.name}`, variant.options);
      await axeCheck(`${base}${href}`, cookies, `ben deal across ${variant.name}`, variant.options);
      pagesChecked += 2;
    }
    await page.goto(`${base}${href}`);
    if (await tabTo("Agree to these terms", (f) => f.includes("Agree to these terms"))) {
      await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
      const agreed = await page.content();
      if (!agreed.includes("Agreed. The deal is on.") || !agreed.includes("2.00 h")) {
        failures.push(`keyboard: agreeing to the terms across did not show the agreed deal (${page.url()})`);
      }
    }
  }
  await context.close();
}

// Keyboard only: Ivan pays Joy of the linked Hillside Repair Café, reads the amount in credits
// before sending, and sends; the confirmation passes axe too.
{
  const { context, page, tabTo } = await keyboardPage("ivan");
  await page.goto(`${base}/c/${slug}/pay/across`);
  if (await tabTo("the payee field", (f) => f.startsWith("input#member"))) {
    await page.keyboard.type("joy");
    await page.keyboard.press("Tab");
    await page.keyboard.type("0.5");
    await tabTo("Continue", (f) => f.startsWith("button#|Continue"));
    await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
    const confirm = await page.content();
    if (!confirm.includes("5.00") || !confirm.includes("Joy Asante")) {
      failures.push("keyboard: the pay-across confirmation does not show Joy and 5.00 credits");
    }
    const confirmContext = await browser.newContext({ javaScriptEnabled: true, bypassCSP: true, reducedMotion: "reduce" });
    const confirmPage = await confirmContext.newPage();
    await confirmPage.setContent(confirm.replace("<head>", `<head><base href="${base}/">`));
    await confirmPage.addScriptTag({ content: axeSource });
    const result = await confirmPage.evaluate(async () =>
      // eslint-disable-next-line no-undef
      await axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"] } }),
    );
    for (const violation of result.violations) {
      failures.push(`ivan pay-across-confirm: ${violation.id}: ${violation.help}`);
    }
    await confirmContext.close();
    pagesChecked++;
    if (await tabTo("Send", (f) => f.startsWith("button#|Send"))) {
      await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
      const done = await page.content();
      if (!done.includes("You paid") || !done.includes("Hillside Repair Café")) {
        failures.push(`keyboard: the payment across was not confirmed (${page.url()})`);
      }
    }
  }
  await context.close();
}

// Keyboard only: Ben reports a member, naming an agreement and saying what happened.
{
  const { context, page } = await newPage({ viewport: { width: 360, height: 800 } });
  await logIn(page, "ben");
  await page.goto(`${base}/c/${slug}/report/member/jo`);
  const focused = async () => page.evaluate(() => {
    const el = document.activeElement;
    return el ? `${el.tagName.toLowerCase()}#${el.id}|${(el.textContent || "").trim().slice(0, 40)}` : "";
  });
  let onBox = false;
  for (let i = 0; i < 40 && !onBox; i++) {
    await page.keyboard.press("Tab");
    onBox = (await focused()).startsWith("input#agreement_2");
  }
  if (!onBox) failures.push("keyboard (report): the agreements cannot be reached with Tab");
  await page.keyboard.press("Space");
  let onNote = false;
  for (let i = 0; i < 10 && !onNote; i++) {
    await page.keyboard.press("Tab");
    onNote = (await focused()).startsWith("textarea#note");
  }
  if (!onNote) failures.push("keyboard (report): the note cannot be reached with Tab");
  await page.keyboard.type("Shouted at a newcomer at the market.");
  await page.keyboard.press("Tab");
  if (!(await focused()).includes("Send the report")) failures.push(`keyboard (report): after the note comes ${await focused()}`);
  await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
  if (!page.url().includes(`/c/${slug}/moderation`)) failures.push(`keyboard (report): sending went to ${page.url()}`);
  if (!(await page.content()).includes("waiting for a moderator")) failures.push("keyboard (report): the report is not listed as waiting");
  await context.close();
}

// Keyboard only: Amara posts news, then Ben replies in a discussion, JavaScript off.
{
  const { context, page } = await newPage({ viewport: { width: 360, height: 800 } });
  const focused = async () =>
    page.evaluate(() => {
      const el = document.activeElement;
      return el ? `${el.tagName.toLowerCase()}#${el.id}|${(el.textContent || "").trim().slice(0, 40)}|${el.getAttribute("href") || ""}` : "";
    });
  const tabTo = async (predicate, what) => {
    for (let i = 0; i < 80; i++) {
      await page.keyboard.press("Tab");
      if (predicate(await focused())) return true;
    }
    failures.push(`keyboard (news and replies): ${what} cannot be reached with Tab`);
    return false;
  };
  await logIn(page, "amara");
  await page.goto(`${base}/c/${slug}`);
  if (await tabTo((f) => f.endsWith(`|/c/${slug}/news/new`), "Write news on the home")) {
    await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
  }
  if (await tabTo((f) => f.startsWith("input#title"), "the news title")) {
    await page.keyboard.type("Seed swap in March");
    await page.keyboard.press("Tab");
    await page.keyboard.type("Bring seeds in paper envelopes.");
  }
  if (await tabTo((f) => f.startsWith("button#|Publish"), "the publish button")) {
    await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
    if (!(await page.content()).includes("Bring seeds in paper envelopes.")) failures.push("keyboard (news): the post was not published");
  }
  await context.clearCookies();
  await logIn(page, "ben");
  await page.goto(`${base}/c/${slug}/discussions`);
  if (await tabTo((f) => f.includes("A tool library"), "a discussion in the list")) {
    await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
  }
  if (await tabTo((f) => f.startsWith("textarea#reply"), "the reply field")) {
    await page.keyboard.type("I can look after it on Saturdays.");
  }
  if (await tabTo((f) => f.startsWith("button#|Reply"), "the reply button")) {
    await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
    if (!(await page.content()).includes("I can look after it on Saturdays.")) failures.push("keyboard (replies): the reply is not in the thread");
  }
  await context.close();
}

// Keyboard only: Lena finds the ladder Kai needs in the market and offers help, JavaScript off.
{
  const { context, page } = await newPage({ viewport: { width: 1280, height: 900 } });
  await logIn(page, "lena");
  await page.goto(`${base}/c/${slug}/market`);
  const focused = async () =>
    page.evaluate(() => {
      const el = document.activeElement;
      return el ? `${el.tagName.toLowerCase()}#${el.id}|${(el.textContent || "").trim().slice(0, 40)}|${el.getAttribute("href") || ""}` : "";
    });
  const tabTo = async (predicate, what) => {
    for (let i = 0; i < 60; i++) {
      await page.keyboard.press("Tab");
      if (predicate(await focused())) return true;
    }
    failures.push(`keyboard (market): ${what} cannot be reached with Tab`);
    return false;
  };
  if (await tabTo((f) => f.startsWith("input#q"), "the market search")) {
    await page.keyboard.type("ladders");
    await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
    if (!page.url().includes("q=ladders")) failures.push(`keyboard (market): searching went to ${page.url()}`);
  }
  if (await tabTo((f) => f.includes("A ladder to borrow"), "the found listing")) {
    await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
  }
  if (await tabTo((f) => f.startsWith("textarea#message"), "the first message")) {
    await page.keyboard.type("I have a ladder you can borrow this weekend.");
  }
  if (await tabTo((f) => f.startsWith("button#|I can help"), "the I can help button")) {
    await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
    if (!page.url().includes(`/c/${slug}/deals/`)) failures.push(`keyboard (market): I can help went to ${page.url()}`);
    const html = await page.content();
    if (!html.includes("I have a ladder you can borrow this weekend.")) failures.push("keyboard (market): the first message is not in the conversation");
  }
  await context.close();
}

// Keyboard only: Lena ranks the venues of the spring skill-share and casts her vote, JavaScript
// off: a rank select per option, no dragging.
{
  const { context, page } = await newPage({ viewport: { width: 1280, height: 900 } });
  await logIn(page, "lena");
  await page.goto(`${base}/c/${slug}/proposals`);
  const focused = async () =>
    page.evaluate(() => {
      const el = document.activeElement;
      return el ? `${el.tagName.toLowerCase()}#${el.id}|${(el.textContent || "").trim().slice(0, 60)}|${el.getAttribute("href") || ""}` : "";
    });
  const tabTo = async (predicate, what) => {
    for (let i = 0; i < 80; i++) {
      await page.keyboard.press("Tab");
      if (predicate(await focused())) return true;
    }
    failures.push(`keyboard (vote): ${what} cannot be reached with Tab`);
    return false;
  };
  if (await tabTo((f) => f.includes("spring skill-share"), "the proposal in the list")) {
    await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
  }
  // Rank the library first and the park second.
  if (await tabTo((f) => f.startsWith("select#rank-0"), "the first rank select")) {
    await page.keyboard.press("Tab");
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("Tab");
    await page.keyboard.press("ArrowDown");
  }
  const ranks = await page.evaluate(() => [0, 1, 2].map((i) => document.querySelector(`#rank-${i}`).value));
  if (ranks.join(",") !== ",2,1") failures.push(`keyboard (vote): the ranks chosen were ${ranks}`);
  if (await tabTo((f) => f.startsWith("button#|Sign and cast my vote"), "the vote button")) {
    await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
    const html = await page.content();
    if (!html.includes("Your vote is signed and counted")) failures.push("keyboard (vote): the vote was not confirmed");
    if (!html.includes("1. The library")) failures.push("keyboard (vote): the receipt does not show the ranking");
    // The ballot now reads as cast, and offers to change it.
    if (!html.includes("Change your vote")) failures.push("keyboard (vote): after voting, the page does not offer to change the vote");
    const cast = await page.evaluate(() => [0, 1, 2].map((i) => document.querySelector(`#rank-${i}`).value));
    if (cast.join(",") !== ",2,1") failures.push(`keyboard (vote): the ballot is not pre-filled with the vote cast (${cast})`);
    // Change it: the community hall first as well.
    await page.goto(`${base}/c/${slug}/proposals/2`);
    if (await tabTo((f) => f.startsWith("select#rank-0"), "the first rank select, to change the vote")) {
      await page.keyboard.type("Choice 3");
    }
    if (await tabTo((f) => f.startsWith("button#|Sign and cast"), "the vote button, to change the vote")) {
      await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
      const changed = await page.evaluate(() => [0, 1, 2].map((i) => document.querySelector(`#rank-${i}`).value));
      if (changed.join(",") !== "3,2,1") failures.push(`keyboard (vote): the changed vote is not what the ballot shows (${changed})`);
    }
  }
  await context.close();
}

// Screenshots of the main pages.
if (screenshots) {
  mkdirSync(screenshots, { recursive: true });
  for (const [width, suffix] of [[1280, "desktop"], [360, "mobile"]]) {
    const { context, page } = await newPage({ viewport: { width, height: 900 }, colorScheme: "light" });
    await page.goto(`${base}/login`);
    await page.screenshot({ path: `${screenshots}/login-${suffix}.png`, fullPage: true });
    await logIn(page, "amara");
    for (const [path, name] of [
      [`/c/${slug}`, "home"],
      [`/c/${slug}/pay`, "pay"],
      [`/c/${slug}/ledger`, "ledger"],
      [`/c/${slug}/members`, "members"],
      [`/c/${slug}/steward`, "steward"],
      [`/c/${slug}/market`, "market"],
      [`/c/${slug}/market/6`, "event"],
      [`/c/${slug}/market/new`, "listing-form"],
      [`/c/${slug}/proposals`, "proposals"],
      [`/c/${slug}/proposals/1`, "proposal-decided"],
      [`/c/${slug}/proposals/2`, "proposal-voting"],
      [`/c/${slug}/moderation`, "moderation-log"],
      [`/c/${slug}/moderation/queue`, "moderation-queue"],
      [`/c/${slug}/moderation/cases/4`, "moderation-case"],
      [`/c/${slug}/report/member/chen`, "report-form"],
      [`/c/${slug}/repairs/1`, "repair"],
      ["/settings/data", "takeout"],
      [`/c/${slug}/news`, "news"],
      [`/c/${slug}/news/2`, "news-post"],
      [`/c/${slug}/discussions`, "discussions"],
      [`/c/${slug}/discussions/2`, "discussion"],
      [`/c/${slug}/members/ben`, "profile"],
      [`/c/${slug}/welcome`, "welcome"],
      [`/p/${slug}`, "public-page"],
      ["/settings/email", "email-settings"],
      ["/settings", "settings"],
      ["/settings/advanced", "settings-advanced"],
      [`/c/${slug}/messages/2`, "conversation"],
      [`/c/${slug}/messages`, "messages"],
    ]) {
      await page.goto(`${base}${path}`);
      await page.screenshot({ path: `${screenshots}/${name}-${suffix}.png`, fullPage: true });
    }
    await context.close();
  }
  const { context, page } = await newPage({ viewport: { width: 1280, height: 900 }, colorScheme: "dark" });
  await logIn(page, "amara");
  await page.goto(`${base}/c/${slug}`);
  await page.screenshot({ path: `${screenshots}/home-dark.png`, fullPage: true });
  await context.close();
}

await browser.close();
if (failures.length) {
  console.error(`${failures.length} problem(s) in ${pagesChecked} page checks:`);
  for (const failure of failures) console.error(`- ${failure}`);
  process.exit(1);
}
console.log(`axe: 0 violations in ${pagesChecked} page checks; keyboard walkthrough passed`);
