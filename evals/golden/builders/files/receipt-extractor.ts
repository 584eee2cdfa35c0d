// src/extract/receiptExtractor.ts
// Used by the claims-reimbursement portal: employees upload receipts, we prefill the expense form.
// Author: Ines Duarte (Finance Systems). Reviewed by: R. Okafor.
import OpenAI from "openai";
import { zodResponseFormat } from "openai/helpers/zod";
import { z } from "zod";
import pRetry, { AbortError } from "p-retry";

const client = new OpenAI({ apiKey: process.env.OPENAI_API_KEY, timeout: 30_000, maxRetries: 0 });

export const Receipt = z.object({
  merchant: z.string().nullable(),
  date: z.string().nullable().describe("YYYY-MM-DD as printed; null if unreadable"),
  currency: z.enum(["EUR", "USD", "GBP", "CHF", "SEK"]).nullable(),
  total: z.number().nullable(),
  tax: z.number().nullable(),
  category: z.enum(["travel", "meals", "lodging", "software", "office", "other"]),
  line_items: z.array(z.object({ description: z.string(), amount: z.number() })).max(30),
  legible: z.boolean(),
});
export type Receipt = z.infer<typeof Receipt>;

const SYSTEM = `You read photos or PDFs of receipts for expense claims.
Copy values exactly as printed. Never compute a total that is not printed; use null.
If the image is not a receipt or is unreadable, set legible=false and leave fields null.
Category: pick the closest; use "other" when unsure.`;

export type ExtractResult =
  | { ok: true; receipt: Receipt; warnings: string[] }
  | { ok: false; reason: "not_legible" | "refused" | "api_error"; detail?: string };

export async function extractReceipt(imageBase64: string, mime: "image/jpeg" | "image/png" | "application/pdf"): Promise<ExtractResult> {
  try {
    const completion = await pRetry(
      async () => {
        try {
          return await client.beta.chat.completions.parse({
            model: "gpt-4o-2024-08-06",
            temperature: 0,
            messages: [
              { role: "system", content: SYSTEM },
              { role: "user", content: [{ type: "image_url", image_url: { url: `data:${mime};base64,${imageBase64}` } }] },
            ],
            response_format: zodResponseFormat(Receipt, "receipt"),
          });
        } catch (err: any) {
          // 4xx other than 429 will not get better on retry
          if (err?.status && err.status < 500 && err.status !== 429) throw new AbortError(err.message);
          throw err;
        }
      },
      { retries: 3, minTimeout: 1000, factor: 2 },
    );

    const msg = completion.choices[0].message;
    if (msg.refusal) return { ok: false, reason: "refused", detail: msg.refusal };
    const r = msg.parsed!;
    if (!r.legible) return { ok: false, reason: "not_legible" };

    // cheap consistency checks, shown to the employee as "please check" hints
    const warnings: string[] = [];
    const sum = r.line_items.reduce((a, li) => a + li.amount, 0);
    if (r.total !== null && r.line_items.length > 0 && Math.abs(sum - r.total) > 0.05) warnings.push("line items do not add up to total");
    if (r.date && new Date(r.date) > new Date()) warnings.push("date is in the future");
    if (r.tax !== null && r.total !== null && r.tax > r.total * 0.3) warnings.push("tax looks too high");
    return { ok: true, receipt: r, warnings };
  } catch (e: any) {
    return { ok: false, reason: "api_error", detail: String(e?.message ?? e) };
  }
}

// ---------------------------------------------------------------------------
// test/receiptExtractor.spec.ts   (vitest; LLM_TESTS=1 npx vitest run extract)
// fixtures/receipts/*.jpg with hand-labelled expectations in fixtures/receipts/expected.json:
//   taxi_lisbon.jpg      -> merchant "Taxi Lisboa", total 14.60 EUR, category travel
//   hotel_two_pages.pdf  -> total 412.00 EUR, category lodging, 3 line items
//   coffee_blurry.jpg    -> legible false
//   cat_photo.png        -> legible false
//   saas_invoice.pdf     -> total 49.00 USD, category software
//   restaurant_tip.jpg   -> total 86.50 GBP (includes handwritten tip), warning expected
// ---------------------------------------------------------------------------
import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import expected from "../fixtures/receipts/expected.json";

describe.runIf(process.env.LLM_TESTS === "1")("extractReceipt (live)", () => {
  for (const [file, exp] of Object.entries(expected as Record<string, any>)) {
    it(file, async () => {
      const mime = file.endsWith(".pdf") ? "application/pdf" : file.endsWith(".png") ? "image/png" : "image/jpeg";
      const res = await extractReceipt(readFileSync(`fixtures/receipts/${file}`).toString("base64"), mime);
      if (exp.legible === false) return expect(res).toMatchObject({ ok: false, reason: "not_legible" });
      expect(res.ok).toBe(true);
      if (!res.ok) return;
      expect(res.receipt.total).toBeCloseTo(exp.total, 2);
      expect(res.receipt.currency).toBe(exp.currency);
      expect(res.receipt.category).toBe(exp.category);
      if (exp.warning) expect(res.warnings.length).toBeGreaterThan(0);
    }, 60_000);
  }
});
