CREATE TABLE "public"."leads" (
    "id" integer NOT NULL,
    "email" text,
    "auto_data" jsonb,
    CONSTRAINT "leads_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "leads_auto_data_shape" CHECK (jsonb_typeof("auto_data") = 'object'),
    CONSTRAINT "leads_auto_data_vin_shape" CHECK (NOT ("auto_data" @? 'lax $ ? (!((!exists(@."vin") || (@."vin".type() == "string"))))'))
);

CREATE INDEX "leads_auto_data_vin_idx" ON "public"."leads" USING btree ((("auto_data" ->> 'vin')));

