"""Take the README's screenshots from a running demo (`make run`), in headless Chromium.

    python docs/screenshots.py [--url http://127.0.0.1:8000] [--out docs/screenshots]

Needs Debian's `chromium` and, for readable Chinese, `fonts-noto-cjk`."""

import argparse
from pathlib import Path

from playwright.sync_api import sync_playwright

PAGES = [
    (None, "/", "visitor-start"),
    ("broker01", "/broker/inbox/", "broker-inbox"),
    ("broker01", "/broker/pipeline/", "broker-pipeline"),
    ("broker01", "FIRST_MATCH", "broker-match"),
    ("inst01", "/institution/achievements/", "institution-achievements"),
    ("ent01", "/enterprise/needs/", "enterprise-needs"),
    ("organiser1", "/organiser/calendar/", "organiser-calendar"),
    ("organiser1", "/dashboard/", "organiser-dashboard"),
    ("broker01", "/contracts/", "contracts"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--out", default="docs/screenshots", type=Path)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        for username, path, name in PAGES:
            context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
            page = context.new_page()
            if username:
                page.goto(f"{args.url}/accounts/login/")
                page.fill("#id_username", username)
                page.fill("#id_password", "techbridge-demo")
                page.click("button[type=submit]")
                page.wait_for_load_state()
            if path == "FIRST_MATCH":
                page.goto(f"{args.url}/broker/inbox/")
                page.click("table tbody a")
            else:
                page.goto(args.url + path)
            page.wait_for_load_state()
            page.screenshot(path=str(args.out / f"{name}.png"))
            context.close()
        browser.close()


if __name__ == "__main__":
    main()
