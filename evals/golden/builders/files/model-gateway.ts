// packages/llm-client/src/gateway.ts
// In-process LLM client used by every Node service at Parcelwise (fictional). Handles routing by task,
// provider fallback, circuit breaking, tenant budgets, prompt version pinning, redaction, tracing and audit.
// Owners: AI Platform. Route table changes (routes.json) are gated by the eval workflow `route-evals` in CI:
// a route may only point at a model+prompt pair that has a passing eval record in evals/records/.

import { context, metrics, trace, SpanStatusCode, type Span } from "@opentelemetry/api";
import { z } from "zod";
import { redact } from "@parcelwise/pii";                 // presidio-compatible; returns text + entity counts
import { promptRegistry } from "@parcelwise/prompt-registry";
import { auditLog } from "@parcelwise/audit";
import { budgets } from "./budgets";                      // Redis-backed token buckets per tenant & route
import { providers, type ProviderId, type ProviderError } from "./providers";
import routes from "../routes.json";

const tracer = trace.getTracer("llm-client", "4.3.0");
const meter = metrics.getMeter("llm-client");
const latency = meter.createHistogram("llm_request_duration_ms");
const costCounter = meter.createCounter("llm_cost_usd");
const fallbackCounter = meter.createCounter("llm_fallback_total");
const breakerGauge = meter.createObservableGauge("llm_breaker_open");

const RouteSchema = z.object({
  task: z.string(),
  prompt: z.string().regex(/^[a-z0-9-]+\/[a-z0-9-]+@v\d+$/),        // e.g. "claims/summary@v7"
  chain: z.array(z.object({ provider: z.string(), model: z.string(), timeoutMs: z.number().max(60000) })).min(1),
  dataClasses: z.array(z.enum(["public", "internal", "confidential", "restricted"])),
  maxOutputTokens: z.number(),
  evalRecord: z.string(),                                             // evals/records/<task>@<date>.json, checked in CI
});
type Route = z.infer<typeof RouteSchema>;
const ROUTES = new Map<string, Route>(z.array(RouteSchema).parse(routes).map((r) => [r.task, r]));

// ---- circuit breaker per provider+model ----
const breakers = new Map<string, { failures: number; openedAt?: number }>();
const BREAKER_THRESHOLD = 5;
const BREAKER_COOLDOWN_MS = 30_000;
breakerGauge.addCallback((obs) => breakers.forEach((b, k) => obs.observe(b.openedAt ? 1 : 0, { target: k })));

function breakerOpen(key: string) {
  const b = breakers.get(key);
  if (!b?.openedAt) return false;
  if (Date.now() - b.openedAt > BREAKER_COOLDOWN_MS) { b.openedAt = undefined; b.failures = 0; return false; } // half-open
  return true;
}
function recordResult(key: string, ok: boolean) {
  const b = breakers.get(key) ?? { failures: 0 };
  b.failures = ok ? 0 : b.failures + 1;
  if (b.failures >= BREAKER_THRESHOLD) b.openedAt = Date.now();
  breakers.set(key, b);
}

export interface CallerContext {
  tenantId: string;
  service: string;
  userIdHash: string;               // never raw user ids
  dataClass: "public" | "internal" | "confidential" | "restricted";
}

export class PolicyError extends Error {}

export async function complete(task: string, vars: Record<string, string>, caller: CallerContext) {
  const route = ROUTES.get(task);
  if (!route) throw new PolicyError(`unknown task ${task}`);
  if (!route.dataClasses.includes(caller.dataClass))
    throw new PolicyError(`route ${task} not approved for ${caller.dataClass} data`);

  return tracer.startActiveSpan(`llm.${task}`, async (span: Span) => {
    span.setAttributes({ "llm.task": task, "llm.prompt": route.prompt, tenant: caller.tenantId, service: caller.service });
    try {
      const prompt = await promptRegistry.render(route.prompt, vars);             // pinned version, not "latest"
      const { text: safeUser, entities } = redact(prompt.user, { mode: caller.dataClass === "restricted" ? "drop" : "mask" });
      span.setAttribute("pii.entities_masked", entities.total);

      const estimate = prompt.estimatedInputTokens + route.maxOutputTokens;
      if (!(await budgets.tryReserve(caller.tenantId, task, estimate)))
        throw new PolicyError(`token budget exhausted for ${caller.tenantId}/${task}`);

      let lastErr: ProviderError | undefined;
      for (const [i, target] of route.chain.entries()) {
        const key = `${target.provider}:${target.model}`;
        if (breakerOpen(key)) { span.addEvent("breaker_open", { target: key }); continue; }
        if (i > 0) fallbackCounter.add(1, { task, to: key, reason: lastErr?.kind ?? "breaker" });
        const t0 = performance.now();
        try {
          const res = await providers[target.provider as ProviderId].chat({
            model: target.model, system: prompt.system, user: safeUser,
            maxTokens: route.maxOutputTokens, timeoutMs: target.timeoutMs, responseFormat: prompt.responseFormat,
          });
          recordResult(key, true);
          const ms = performance.now() - t0;
          const cost = providers[target.provider as ProviderId].price(target.model, res.usage);
          latency.record(ms, { task, target: key });
          costCounter.add(cost, { task, tenant: caller.tenantId, target: key });
          await budgets.settle(caller.tenantId, task, estimate, res.usage.total);
          span.setAttributes({ "llm.target": key, "llm.fallback_index": i, "llm.cost_usd": cost,
                               "llm.tokens.in": res.usage.input, "llm.tokens.out": res.usage.output });
          await auditLog.write({ ts: Date.now(), tenant: caller.tenantId, service: caller.service, user: caller.userIdHash,
                                 task, prompt: route.prompt, target: key, dataClass: caller.dataClass,
                                 traceId: span.spanContext().traceId });   // no prompt/completion text in audit log
          return { text: res.text, parsed: res.parsed, target: key, promptVersion: route.prompt, traceId: span.spanContext().traceId };
        } catch (e: any) {
          lastErr = e as ProviderError;
          recordResult(key, false);
          span.addEvent("provider_error", { target: key, kind: lastErr.kind ?? "unknown" });
          if (lastErr.kind === "content_filter" || lastErr.kind === "bad_request") break;   // don't fan a bad request out
        }
      }
      await budgets.release(caller.tenantId, task, estimate);
      throw new Error(`all targets failed for ${task}: ${lastErr?.message ?? "breakers open"}`);
    } catch (e: any) {
      span.recordException(e);
      span.setStatus({ code: SpanStatusCode.ERROR, message: e.message });
      throw e;
    } finally {
      span.end();
    }
  });
}

// Alerting (Grafana, defined in infra/alerts/llm-client.yaml): breaker open > 2m, fallback rate > 5% per task,
// cost per tenant > 120% of 7-day average, p95 per task > route SLO. Runbook: docs/runbooks/llm-client.md
