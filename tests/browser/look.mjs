// Screenshots of chosen pages for a person to look at (not a test): node look.mjs BASE OUT PATH...
// Logs in as the demo steward (amara), or as AS=<username>, or not at all with AS=visitor.
// Desktop light and 360 px dark for each path.
import { mkdirSync } from "node:fs";
import { chromium } from "playwright-core";

const [base, out, ...paths] = process.argv.slice(2);
mkdirSync(out, { recursive: true });
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
});
for (const [name, options] of [
  ["desktop", { viewport: { width: 1280, height: 900 }, colorScheme: "light" }],
  ["mobile-dark", { viewport: { width: 360, height: 800 }, colorScheme: "dark" }],
]) {
  const context = await browser.newContext({ javaScriptEnabled: false, ...options });
  const page = await context.newPage();
  const as = process.env.AS || "amara";
  if (as !== "visitor") {
    await page.goto(`${base}/login`);
    await page.fill("#username", as);
    await page.fill("#password", "demo-password");
    await Promise.all([page.waitForNavigation(), page.click("button[type=submit]:has-text('Log in')")]);
  }
  for (const path of paths) {
    await page.goto(`${base}${path}`);
    const file = `${out}/${path.replace(/[^a-z0-9]+/gi, "_")}-${name}.png`;
    await page.screenshot({ path: file, fullPage: true });
    console.log(file);
  }
  await context.close();
}
await browser.close();
