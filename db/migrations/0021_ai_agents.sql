-- AI agents (workers/api/services/ai/): a tenant's custom agent definitions and their versions,
-- chat sessions with their messages and every streamed chunk, runs with their steps, and the
-- token usage ledger. All in the tenant's home region: for Lagos tenants this is the only place a
-- prompt, an answer or a tool's output is stored (Durable Object storage holds none of it).
CREATE TABLE "ai_agents" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL REFERENCES "tenants"("id"),
	"version" integer DEFAULT 1 NOT NULL,
	"definition" jsonb NOT NULL,
	"created_by" uuid,
	"created_at" timestamp(3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp(3) with time zone DEFAULT now() NOT NULL,
	"is_deleted" boolean DEFAULT false NOT NULL,
	"deleted_at" timestamp with time zone
);
--> statement-breakpoint
CREATE INDEX "ai_agents_tenant_id_idx" ON "ai_agents" USING btree ("tenant_id", "created_at", "id");--> statement-breakpoint
-- Every version a run or message may name; rows are never changed.
CREATE TABLE "ai_agent_versions" (
	"tenant_id" uuid NOT NULL REFERENCES "tenants"("id"),
	"agent_id" uuid NOT NULL REFERENCES "ai_agents"("id"),
	"version" integer NOT NULL,
	"definition" jsonb NOT NULL,
	"created_by" uuid,
	"created_at" timestamp(3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ai_agent_versions_pk" PRIMARY KEY ("agent_id", "version")
);
--> statement-breakpoint
CREATE INDEX "ai_agent_versions_tenant_id_idx" ON "ai_agent_versions" USING btree ("tenant_id");--> statement-breakpoint
-- A chat session: one user's conversation with one agent. `turn_id` is set while a turn streams
-- (at most one per session); `cancel_requested` is how a cancel reaches the isolate running it.
CREATE TABLE "ai_sessions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL REFERENCES "tenants"("id"),
	"agent_id" text NOT NULL,
	"user_id" uuid NOT NULL,
	"title" text,
	"last_seq" bigint DEFAULT 0 NOT NULL,
	"turn_id" uuid,
	"turn_started_at" timestamp(3) with time zone,
	"cancel_requested" boolean DEFAULT false NOT NULL,
	"created_at" timestamp(3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp(3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "ai_sessions_user_idx" ON "ai_sessions" USING btree ("tenant_id", "agent_id", "user_id", "updated_at", "id");--> statement-breakpoint
CREATE INDEX "ai_sessions_active_idx" ON "ai_sessions" USING btree ("tenant_id", "user_id") WHERE "turn_id" IS NOT NULL;--> statement-breakpoint
CREATE TABLE "ai_messages" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL REFERENCES "tenants"("id"),
	"session_id" uuid NOT NULL REFERENCES "ai_sessions"("id"),
	"role" text NOT NULL,
	"content" text DEFAULT '' NOT NULL,
	"tool_calls" jsonb,
	"tool_call_id" text,
	"status" text DEFAULT 'completed' NOT NULL,
	"agent_version" integer,
	"inference_region" text,
	"model" text,
	"deployment" text,
	"input_tokens" integer DEFAULT 0 NOT NULL,
	"output_tokens" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp(3) with time zone DEFAULT clock_timestamp() NOT NULL,
	CONSTRAINT "ai_messages_role" CHECK ("role" in ('user', 'assistant', 'tool')),
	CONSTRAINT "ai_messages_status" CHECK ("status" in ('streaming', 'completed', 'cancelled', 'failed'))
);
--> statement-breakpoint
CREATE INDEX "ai_messages_session_idx" ON "ai_messages" USING btree ("tenant_id", "session_id", "created_at", "id");--> statement-breakpoint
-- Each event of a session's stream, written before it is sent: what a reconnecting client is
-- replayed after its Last-Event-ID (= seq).
CREATE TABLE "ai_stream_chunks" (
	"tenant_id" uuid NOT NULL REFERENCES "tenants"("id"),
	"session_id" uuid NOT NULL REFERENCES "ai_sessions"("id"),
	"seq" bigint NOT NULL,
	"turn_id" uuid NOT NULL,
	"type" text NOT NULL,
	"data" jsonb NOT NULL,
	"created_at" timestamp(3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ai_stream_chunks_pk" PRIMARY KEY ("session_id", "seq")
);
--> statement-breakpoint
CREATE INDEX "ai_stream_chunks_tenant_id_idx" ON "ai_stream_chunks" USING btree ("tenant_id");--> statement-breakpoint
CREATE TABLE "ai_runs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL REFERENCES "tenants"("id"),
	"agent_id" text NOT NULL,
	"agent_version" integer NOT NULL,
	"user_id" uuid NOT NULL,
	"task" text NOT NULL,
	"status" text DEFAULT 'queued' NOT NULL,
	"result" jsonb,
	"error" jsonb,
	"messages" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"steps" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"pending_tool_calls" jsonb,
	"inference_region" text,
	"model" text,
	"input_tokens" integer DEFAULT 0 NOT NULL,
	"output_tokens" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp(3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp(3) with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp(3) with time zone,
	CONSTRAINT "ai_runs_status" CHECK ("status" in ('queued', 'running', 'requires_approval', 'succeeded', 'failed', 'cancelled'))
);
--> statement-breakpoint
CREATE INDEX "ai_runs_tenant_idx" ON "ai_runs" USING btree ("tenant_id", "created_at", "id");--> statement-breakpoint
-- One row per model call: the ledger budgets are checked against (cancelled and dropped calls too).
CREATE TABLE "ai_usage" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL REFERENCES "tenants"("id"),
	"user_id" uuid NOT NULL,
	"agent_id" text NOT NULL,
	"session_id" uuid,
	"run_id" uuid,
	"model" text NOT NULL,
	"deployment" text NOT NULL,
	"inference_region" text NOT NULL,
	"input_tokens" integer NOT NULL,
	"output_tokens" integer NOT NULL,
	"estimated" boolean DEFAULT false NOT NULL,
	"outcome" text NOT NULL,
	"day" date DEFAULT (now() at time zone 'UTC')::date NOT NULL,
	"created_at" timestamp(3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "ai_usage_tenant_day_idx" ON "ai_usage" USING btree ("tenant_id", "day");--> statement-breakpoint
ALTER TABLE "ai_agents" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "ai_agent_versions" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "ai_sessions" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "ai_messages" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "ai_stream_chunks" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "ai_runs" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "ai_usage" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "ai_agents" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "ai_agent_versions" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "ai_sessions" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "ai_messages" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "ai_stream_chunks" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "ai_runs" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "ai_usage" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "ai_agents" AS PERMISSIVE FOR ALL TO "nexus_app" USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "ai_agent_versions" AS PERMISSIVE FOR ALL TO "nexus_app" USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "ai_sessions" AS PERMISSIVE FOR ALL TO "nexus_app" USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "ai_messages" AS PERMISSIVE FOR ALL TO "nexus_app" USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "ai_stream_chunks" AS PERMISSIVE FOR ALL TO "nexus_app" USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "ai_runs" AS PERMISSIVE FOR ALL TO "nexus_app" USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "ai_usage" AS PERMISSIVE FOR ALL TO "nexus_app" USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);--> statement-breakpoint
-- The first-party clients may ask for the AI scopes (agents, chat, runs, usage).
UPDATE "oauth_clients" SET scopes = scopes || ARRAY['ai:read', 'ai:write']
WHERE client_id IN ('nexus-cli', 'nexus-docs') AND NOT ('ai:read' = ANY (scopes));
