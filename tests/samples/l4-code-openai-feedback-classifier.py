"""
NPS comment tagger - used by CX Insights every month.

Reads the NPS export (csv), tags each free-text comment with theme + sentiment,
writes nps_tagged.csv for the Power BI dashboard.

    python tag_nps.py nps_export_2024-10.csv
    python tag_nps.py --selftest        # run the small labelled set first!

Needs OPENAI_API_KEY in env. Owner: Ines M. (CX Insights)
"""
import csv
import json
import os
import sys
import time

from openai import OpenAI, APIError, APITimeoutError, RateLimitError

MODEL = "gpt-4o-mini-2024-07-18"   # pinned so results don't shift under us
client = OpenAI(api_key=os.environ["OPENAI_API_KEY"], timeout=30)

THEMES = ["pricing", "onboarding", "support", "reliability", "features", "ux", "billing", "other"]

SCHEMA = {
    "name": "nps_tag",
    "strict": True,
    "schema": {
        "type": "object",
        "properties": {
            "theme": {"type": "string", "enum": THEMES},
            "secondary_theme": {"type": ["string", "null"], "enum": THEMES + [None]},
            "sentiment": {"type": "string", "enum": ["positive", "neutral", "negative"]},
            "mentions_competitor": {"type": "boolean"},
            "quote": {"type": "string", "description": "shortest phrase from the comment that shows the theme"},
        },
        "required": ["theme", "secondary_theme", "sentiment", "mentions_competitor", "quote"],
        "additionalProperties": False,
    },
}

SYSTEM = """You tag NPS survey comments for a project-management SaaS.
theme = the main thing the customer talks about. Use 'other' if none fits; don't force it.
sentiment = how they feel about THAT theme, not about the company overall.
quote must be copied exactly from the comment (no paraphrasing).
Comments may be in English, German or Spanish."""


def tag_comment(comment: str, max_retries: int = 4) -> dict:
    for attempt in range(max_retries):
        try:
            resp = client.chat.completions.create(
                model=MODEL,
                temperature=0,
                response_format={"type": "json_schema", "json_schema": SCHEMA},
                messages=[
                    {"role": "system", "content": SYSTEM},
                    {"role": "user", "content": comment[:2000]},
                ],
            )
            msg = resp.choices[0].message
            if msg.refusal:
                return {"theme": "other", "secondary_theme": None, "sentiment": "neutral",
                        "mentions_competitor": False, "quote": "", "error": "refusal"}
            data = json.loads(msg.content)
            if data["quote"] and data["quote"] not in comment:
                data["error"] = "quote_not_in_comment"   # flag for manual review, keep the tag
            return data
        except (RateLimitError, APITimeoutError, APIError) as e:
            wait = 2 ** attempt
            print(f"  retry {attempt + 1}/{max_retries} in {wait}s ({type(e).__name__})", file=sys.stderr)
            time.sleep(wait)
        except (json.JSONDecodeError, KeyError) as e:
            print(f"  bad output: {e}", file=sys.stderr)
    return {"theme": "", "secondary_theme": None, "sentiment": "", "mentions_competitor": False,
            "quote": "", "error": "failed_after_retries"}


# ~ small labelled set: real comments (anonymised), labels agreed by 2 people in CX ~
TEST_SET = [
    ("Way too expensive for what we use, looking at Asana", "pricing", "negative", True),
    ("Support answered in 10 min and fixed it. Brilliant.", "support", "positive", False),
    ("The Gantt view is exactly what we needed", "features", "positive", False),
    ("App was down twice during our sprint planning this month", "reliability", "negative", False),
    ("Onboarding-Videos waren super hilfreich", "onboarding", "positive", False),
    ("I got invoiced for 12 seats but we only have 9", "billing", "negative", False),
    ("ok", "other", "neutral", False),
    ("Me cuesta encontrar dónde se cambian los permisos", "ux", "negative", False),
    ("Good tool, but the mobile app is clunky and slow", "ux", "negative", False),
    ("Switched from Monday.com, no regrets", "other", "positive", True),
]


def selftest() -> bool:
    ok = 0
    for comment, theme, sentiment, competitor in TEST_SET:
        out = tag_comment(comment)
        hit = out["theme"] == theme and out["sentiment"] == sentiment and out["mentions_competitor"] == competitor
        ok += hit
        if not hit:
            print(f"MISS: {comment!r}\n   expected {theme}/{sentiment}/{competitor}, got {out}")
    print(f"{ok}/{len(TEST_SET)} correct")
    return ok >= 8   # below 8/10 -> don't run the monthly batch, check the prompt


def main(path: str) -> None:
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    out_rows, failed = [], 0
    for i, row in enumerate(rows, 1):
        text = (row.get("comment") or "").strip()
        tag = tag_comment(text) if text else {"theme": "", "error": "empty_comment"}
        failed += bool(tag.get("error"))
        out_rows.append({"response_id": row["response_id"], "score": row["score"], **tag})
        if i % 50 == 0:
            print(f"{i}/{len(rows)}")
    fields = ["response_id", "score", "theme", "secondary_theme", "sentiment", "mentions_competitor", "quote", "error"]
    with open("nps_tagged.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
        w.writeheader()
        w.writerows(out_rows)
    print(f"done: {len(out_rows)} rows, {failed} need manual review (see 'error' column)")


if __name__ == "__main__":
    if "--selftest" in sys.argv:
        sys.exit(0 if selftest() else 1)
    main(sys.argv[1])
