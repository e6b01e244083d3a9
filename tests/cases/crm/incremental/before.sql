CREATE EXTENSION IF NOT EXISTS "uuid-ossp" WITH SCHEMA "public";

CREATE TYPE "public"."contact_method" AS ENUM ('email', 'phone', 'sms', 'mail', 'whatsapp');

CREATE TABLE "public"."ai_interactions" (
    "id" uuid DEFAULT uuid_generate_v4() NOT NULL,
    "lead_id" uuid,
    "client_id" uuid,
    "type" text,
    "source" text,
    "content" text,
    "ai_response" text,
    "summary" text,
    "model_used" text,
    "temperature" double precision,
    "metadata" jsonb,
    "created_at" timestamp with time zone DEFAULT now(),
    CONSTRAINT "ai_interactions_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "ai_interactions_source_check" CHECK ("source" IN ('Agent UI', 'Marketing Automation', 'AI Assistant', 'Backend Middleware')),
    CONSTRAINT "ai_interactions_type_check" CHECK ("type" IN ('Chat', 'Follow-Up', 'Summary', 'Prediction', 'PromptResponse'))
);
CREATE TABLE "public"."client_statuses" (
    "id" serial NOT NULL,
    "name" text NOT NULL,
    "sort_order" integer DEFAULT 0 NOT NULL,
    CONSTRAINT "client_statuses_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "client_statuses_name_key" UNIQUE ("name")
);
CREATE TABLE "public"."clients" (
    "id" uuid DEFAULT uuid_generate_v4() NOT NULL,
    "full_name" text NOT NULL,
    "email" text,
    "phone" text,
    "status_id" integer,
    "client_type" text DEFAULT 'Individual' NOT NULL,
    "assigned_to" uuid,
    "insurance_type_id" integer,
    "auto_data" jsonb,
    "home_data" jsonb,
    "additional_insureds" jsonb,
    "custom_fields" jsonb DEFAULT '{}'::jsonb NOT NULL,
    "tags" jsonb DEFAULT '[]'::jsonb NOT NULL,
    "created_at" timestamp with time zone DEFAULT now() NOT NULL,
    "updated_at" timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT "clients_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "clients_additional_insureds_date_of_birth_shape" CHECK (NOT ("additional_insureds" @? 'lax $[*] ? (!((!exists(@."date_of_birth") || (@."date_of_birth".type() == "string" && @."date_of_birth" like_regex "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"))))')),
    CONSTRAINT "clients_additional_insureds_license_number_shape" CHECK (NOT ("additional_insureds" @? 'lax $[*] ? (!((!exists(@."license_number") || (@."license_number".type() == "null" || (@."license_number".type() == "string")))))')),
    CONSTRAINT "clients_additional_insureds_name_shape" CHECK (NOT ("additional_insureds" @? 'lax $[*] ? (!(exists(@."name") && (@."name".type() == "string")))')),
    CONSTRAINT "clients_additional_insureds_relationship_shape" CHECK (NOT ("additional_insureds" @? 'lax $[*] ? (!(exists(@."relationship") && (@."relationship".type() == "string" && (@."relationship" == "spouse" || @."relationship" == "child" || @."relationship" == "parent" || @."relationship" == "employee" || @."relationship" == "other"))))')),
    CONSTRAINT "clients_additional_insureds_shape" CHECK (jsonb_typeof("additional_insureds") = 'array' AND NOT ("additional_insureds" @? 'lax $[*] ? (!(@.type() == "object" && !exists(@.keyvalue() ? (@.key != "name" && @.key != "relationship" && @.key != "date_of_birth" && @.key != "license_number"))))')),
    CONSTRAINT "clients_auto_data_shape" CHECK (jsonb_typeof("auto_data") = 'object'),
    CONSTRAINT "clients_auto_data_vin_shape" CHECK (NOT ("auto_data" @? 'lax $ ? (!((!exists(@."vin") || (@."vin".type() == "string"))))')),
    CONSTRAINT "clients_client_type_check" CHECK ("client_type" IN ('Individual', 'Business')),
    CONSTRAINT "clients_custom_fields_check" CHECK (jsonb_typeof("custom_fields") = 'object'),
    CONSTRAINT "clients_home_data_shape" CHECK (jsonb_typeof("home_data") = 'object'),
    CONSTRAINT "clients_tags_check" CHECK (jsonb_typeof("tags") = 'array' AND NOT ("tags" @? 'lax $[*] ? (@.type() != "string")'))
);
CREATE TABLE "public"."contact_methods" (
    "id" uuid DEFAULT uuid_generate_v4() NOT NULL,
    "lead_id" uuid,
    "client_id" uuid,
    "method" "public"."contact_method" NOT NULL,
    "value" text NOT NULL,
    "is_preferred" boolean DEFAULT false NOT NULL,
    "created_at" timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT "contact_methods_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "contact_methods_owner_check" CHECK (num_nonnulls(lead_id, client_id) = 1)
);
CREATE TABLE "public"."insurance_types" (
    "id" serial NOT NULL,
    "code" text NOT NULL,
    "name" text NOT NULL,
    "description" text,
    "is_active" boolean DEFAULT true NOT NULL,
    CONSTRAINT "insurance_types_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "insurance_types_code_key" UNIQUE ("code"),
    CONSTRAINT "insurance_types_code_check" CHECK (code ~ '^[a-z][a-z0-9_]*$')
);
CREATE TABLE "public"."lead_statuses" (
    "id" serial NOT NULL,
    "name" text NOT NULL,
    "sort_order" integer DEFAULT 0 NOT NULL,
    "is_closed" boolean DEFAULT false NOT NULL,
    CONSTRAINT "lead_statuses_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "lead_statuses_name_key" UNIQUE ("name")
);
CREATE TABLE "public"."leads" (
    "id" uuid DEFAULT uuid_generate_v4() NOT NULL,
    "full_name" text NOT NULL,
    "email" text,
    "phone" text,
    "source" text,
    "status_id" integer,
    "client_type" text,
    "assigned_to" uuid,
    "insurance_type_id" integer,
    "client_id" uuid,
    "auto_data" jsonb,
    "home_data" jsonb,
    "additional_insureds" jsonb,
    "custom_fields" jsonb DEFAULT '{}'::jsonb NOT NULL,
    "tags" jsonb DEFAULT '[]'::jsonb NOT NULL,
    "created_at" timestamp with time zone DEFAULT now() NOT NULL,
    "updated_at" timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT "leads_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "leads_additional_insureds_date_of_birth_shape" CHECK (NOT ("additional_insureds" @? 'lax $[*] ? (!((!exists(@."date_of_birth") || (@."date_of_birth".type() == "string" && @."date_of_birth" like_regex "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"))))')),
    CONSTRAINT "leads_additional_insureds_license_number_shape" CHECK (NOT ("additional_insureds" @? 'lax $[*] ? (!((!exists(@."license_number") || (@."license_number".type() == "null" || (@."license_number".type() == "string")))))')),
    CONSTRAINT "leads_additional_insureds_name_shape" CHECK (NOT ("additional_insureds" @? 'lax $[*] ? (!(exists(@."name") && (@."name".type() == "string")))')),
    CONSTRAINT "leads_additional_insureds_relationship_shape" CHECK (NOT ("additional_insureds" @? 'lax $[*] ? (!(exists(@."relationship") && (@."relationship".type() == "string" && (@."relationship" == "spouse" || @."relationship" == "child" || @."relationship" == "parent" || @."relationship" == "employee" || @."relationship" == "other"))))')),
    CONSTRAINT "leads_additional_insureds_shape" CHECK (jsonb_typeof("additional_insureds") = 'array' AND NOT ("additional_insureds" @? 'lax $[*] ? (!(@.type() == "object" && !exists(@.keyvalue() ? (@.key != "name" && @.key != "relationship" && @.key != "date_of_birth" && @.key != "license_number"))))')),
    CONSTRAINT "leads_auto_data_shape" CHECK (jsonb_typeof("auto_data") = 'object'),
    CONSTRAINT "leads_auto_data_vin_shape" CHECK (NOT ("auto_data" @? 'lax $ ? (!((!exists(@."vin") || (@."vin".type() == "string"))))')),
    CONSTRAINT "leads_client_type_check" CHECK ("client_type" IN ('Individual', 'Business')),
    CONSTRAINT "leads_custom_fields_check" CHECK (jsonb_typeof("custom_fields") = 'object'),
    CONSTRAINT "leads_home_data_shape" CHECK (jsonb_typeof("home_data") = 'object'),
    CONSTRAINT "leads_tags_check" CHECK (jsonb_typeof("tags") = 'array' AND NOT ("tags" @? 'lax $[*] ? (@.type() != "string")'))
);
CREATE TABLE "public"."locations" (
    "id" uuid DEFAULT uuid_generate_v4() NOT NULL,
    "client_id" uuid NOT NULL,
    "label" text DEFAULT 'home' NOT NULL,
    "address_line1" text NOT NULL,
    "address_line2" text,
    "city" text NOT NULL,
    "state" character(2),
    "postal_code" text,
    "is_primary" boolean DEFAULT false NOT NULL,
    CONSTRAINT "locations_pkey" PRIMARY KEY ("id")
);
CREATE TABLE "public"."users" (
    "id" uuid DEFAULT uuid_generate_v4() NOT NULL,
    "email" text NOT NULL,
    "full_name" text NOT NULL,
    "role" text DEFAULT 'agent' NOT NULL,
    "is_active" boolean DEFAULT true NOT NULL,
    "created_at" timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT "users_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "users_email_key" UNIQUE ("email"),
    CONSTRAINT "users_role_check" CHECK ("role" IN ('agent', 'manager', 'admin'))
);

ALTER TABLE "public"."ai_interactions" ADD CONSTRAINT "ai_interactions_client_id_fkey" FOREIGN KEY ("client_id") REFERENCES "public"."clients" ("id") ON DELETE SET NULL;
ALTER TABLE "public"."ai_interactions" ADD CONSTRAINT "ai_interactions_lead_id_fkey" FOREIGN KEY ("lead_id") REFERENCES "public"."leads" ("id") ON DELETE SET NULL;
ALTER TABLE "public"."clients" ADD CONSTRAINT "clients_assigned_to_fkey" FOREIGN KEY ("assigned_to") REFERENCES "public"."users" ("id") ON DELETE SET NULL;
ALTER TABLE "public"."clients" ADD CONSTRAINT "clients_insurance_type_id_fkey" FOREIGN KEY ("insurance_type_id") REFERENCES "public"."insurance_types" ("id");
ALTER TABLE "public"."clients" ADD CONSTRAINT "clients_status_id_fkey" FOREIGN KEY ("status_id") REFERENCES "public"."client_statuses" ("id") ON DELETE RESTRICT;
ALTER TABLE "public"."contact_methods" ADD CONSTRAINT "contact_methods_client_id_fkey" FOREIGN KEY ("client_id") REFERENCES "public"."clients" ("id") ON DELETE CASCADE;
ALTER TABLE "public"."contact_methods" ADD CONSTRAINT "contact_methods_lead_id_fkey" FOREIGN KEY ("lead_id") REFERENCES "public"."leads" ("id") ON DELETE CASCADE;
ALTER TABLE "public"."leads" ADD CONSTRAINT "leads_assigned_to_fkey" FOREIGN KEY ("assigned_to") REFERENCES "public"."users" ("id") ON DELETE SET NULL;
ALTER TABLE "public"."leads" ADD CONSTRAINT "leads_client_id_fkey" FOREIGN KEY ("client_id") REFERENCES "public"."clients" ("id") ON DELETE SET NULL;
ALTER TABLE "public"."leads" ADD CONSTRAINT "leads_insurance_type_id_fkey" FOREIGN KEY ("insurance_type_id") REFERENCES "public"."insurance_types" ("id");
ALTER TABLE "public"."leads" ADD CONSTRAINT "leads_status_id_fkey" FOREIGN KEY ("status_id") REFERENCES "public"."lead_statuses" ("id") ON DELETE RESTRICT;
ALTER TABLE "public"."locations" ADD CONSTRAINT "locations_client_id_fkey" FOREIGN KEY ("client_id") REFERENCES "public"."clients" ("id") ON DELETE CASCADE;

CREATE INDEX "ai_interactions_client_id_idx" ON "public"."ai_interactions" USING btree ("client_id");
CREATE INDEX "ai_interactions_lead_id_idx" ON "public"."ai_interactions" USING btree ("lead_id");
CREATE INDEX "clients_assigned_to_idx" ON "public"."clients" USING btree ("assigned_to");
CREATE INDEX "clients_auto_data_vin_idx" ON "public"."clients" USING btree ((("auto_data" ->> 'vin')));
CREATE INDEX "clients_client_type_idx" ON "public"."clients" USING btree ("client_type");
CREATE INDEX "clients_custom_fields_idx" ON "public"."clients" USING gin ("custom_fields");
CREATE INDEX "clients_email_idx" ON "public"."clients" USING btree ("email");
CREATE INDEX "clients_insurance_type_id_idx" ON "public"."clients" USING btree ("insurance_type_id");
CREATE INDEX "clients_status_id_idx" ON "public"."clients" USING btree ("status_id");
CREATE INDEX "clients_tags_idx" ON "public"."clients" USING gin ("tags");
CREATE INDEX "contact_methods_client_id_idx" ON "public"."contact_methods" USING btree ("client_id");
CREATE INDEX "contact_methods_lead_id_idx" ON "public"."contact_methods" USING btree ("lead_id");
CREATE INDEX "leads_assigned_to_idx" ON "public"."leads" USING btree ("assigned_to");
CREATE INDEX "leads_auto_data_vin_idx" ON "public"."leads" USING btree ((("auto_data" ->> 'vin')));
CREATE INDEX "leads_client_id_idx" ON "public"."leads" USING btree ("client_id");
CREATE INDEX "leads_client_type_idx" ON "public"."leads" USING btree ("client_type");
CREATE INDEX "leads_custom_fields_idx" ON "public"."leads" USING gin ("custom_fields");
CREATE UNIQUE INDEX "leads_expr_idx" ON "public"."leads" USING btree ((auto_data->>'vin')) WHERE (auto_data ? 'vin');
CREATE INDEX "leads_insurance_type_id_idx" ON "public"."leads" USING btree ("insurance_type_id");
CREATE INDEX "leads_status_id_assigned_to_idx" ON "public"."leads" USING btree ("status_id", "assigned_to");
CREATE INDEX "leads_tags_idx" ON "public"."leads" USING gin ("tags");
CREATE INDEX "locations_client_id_idx" ON "public"."locations" USING btree ("client_id");
CREATE UNIQUE INDEX "locations_one_primary_per_client" ON "public"."locations" USING btree ("client_id") WHERE (is_primary);

COMMENT ON TYPE "public"."contact_method" IS 'Ways an agency can reach a person.';
COMMENT ON TABLE "public"."ai_interactions" IS 'Every exchange with an AI model about a lead or a client (chat, follow-up, summary, prediction).';
COMMENT ON TABLE "public"."client_statuses" IS 'Where a client relationship stands (Active, Lapsed, Former).';
COMMENT ON TABLE "public"."clients" IS 'People and businesses the agency insures.';
COMMENT ON COLUMN "public"."clients"."auto_data" IS 'The insured vehicle.';
COMMENT ON COLUMN "public"."clients"."home_data" IS 'The insured home.';
COMMENT ON COLUMN "public"."clients"."additional_insureds" IS 'Other people covered by the policies.';
COMMENT ON TABLE "public"."contact_methods" IS 'How to reach a lead or a client; several per person, one preferred.';
COMMENT ON TABLE "public"."insurance_types" IS 'Lines of insurance the agency sells (auto, home, life, commercial, ...).';
COMMENT ON TABLE "public"."lead_statuses" IS 'The pipeline stages a lead moves through (New, Contacted, Quoted, Won, Lost).';
COMMENT ON TABLE "public"."leads" IS 'People who may become clients.';
COMMENT ON COLUMN "public"."leads"."source" IS 'Where the lead came from (web form, referral, campaign).';
COMMENT ON COLUMN "public"."leads"."client_id" IS 'Set once the lead is won.';
COMMENT ON TABLE "public"."locations" IS 'Addresses of a client (home, garaging address, business premises).';
COMMENT ON TABLE "public"."users" IS 'Agents and staff of the agency; leads and clients are assigned to them.';

