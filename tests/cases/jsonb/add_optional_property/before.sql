CREATE TABLE "public"."leads" (
    "id" integer NOT NULL,
    "email" text,
    "auto_data" jsonb,
    CONSTRAINT "leads_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "leads_auto_data_shape" CHECK (jsonb_typeof("auto_data") = 'object' AND NOT ("auto_data" @? 'lax $ ? (!(@.type() == "object" && (!exists(@."vin") || (@."vin".type() == "string")) && (!exists(@."year") || (@."year".type() == "number" && @."year" == @."year".floor())) && (!exists(@."usage") || (@."usage".type() == "string"))))'))
);

CREATE INDEX "leads_auto_data_vin_idx" ON "public"."leads" USING btree ((("auto_data" ->> 'vin')));

