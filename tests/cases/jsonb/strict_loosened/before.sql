CREATE TABLE "public"."leads" (
    "id" integer NOT NULL,
    "auto_data" jsonb,
    CONSTRAINT "leads_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "leads_auto_data_shape" CHECK (jsonb_typeof("auto_data") = 'object' AND NOT ("auto_data" @? 'lax $ ? (!(!exists(@.keyvalue() ? (@.key != "vin" && @.key != "year" && @.key != "usage"))))')),
    CONSTRAINT "leads_auto_data_usage_shape" CHECK (NOT ("auto_data" @? 'lax $ ? (!((!exists(@."usage") || (@."usage".type() == "string" && (@."usage" == "commute" || @."usage" == "business")))))')),
    CONSTRAINT "leads_auto_data_vin_shape" CHECK (NOT ("auto_data" @? 'lax $ ? (!(exists(@."vin") && (@."vin".type() == "string")))') AND (NOT jsonb_typeof("auto_data" #> '{"vin"}') = 'string' OR length("auto_data" #>> '{"vin"}') <= 17)),
    CONSTRAINT "leads_auto_data_year_shape" CHECK (NOT ("auto_data" @? 'lax $ ? (!((!exists(@."year") || (@."year".type() == "number" && @."year" == @."year".floor() && @."year" >= 1900))))'))
);

