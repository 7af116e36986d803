-- A database written by postback-sandbox at fb6d481 (PostgreSQL schema version 8, the first):
-- two captures and a channel, dumped with pg_dump --inserts --no-owner --no-privileges
-- --no-comments; psql's \restrict lines taken out. tests/test_migrations.py opens it.
--
-- PostgreSQL database dump
--


-- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)
-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: instr(text, text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.instr(haystack text, needle text) RETURNS integer
    LANGUAGE sql IMMUTABLE STRICT
    AS $$ SELECT strpos(haystack, needle) $$;


--
-- Name: json_each(text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.json_each(doc text) RETURNS TABLE(key text, value text, type text)
    LANGUAGE sql IMMUTABLE STRICT
    AS $$
SELECT e.key, sandbox_json_text(e.value), sandbox_json_kind(e.value)
FROM jsonb_each(CASE WHEN jsonb_typeof(sandbox_jsonb(doc)) = 'object'
                    THEN sandbox_jsonb(doc) END) AS e
UNION ALL
SELECT (e.n - 1)::text, sandbox_json_text(e.value), sandbox_json_kind(e.value)
FROM jsonb_array_elements(CASE WHEN jsonb_typeof(sandbox_jsonb(doc)) = 'array'
                               THEN sandbox_jsonb(doc) END)
    WITH ORDINALITY AS e(value, n)
$$;


--
-- Name: json_extract(text, text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.json_extract(doc text, path text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT
    AS $$ SELECT sandbox_json_text(sandbox_json_at(doc, path)) $$;


--
-- Name: json_type(text, text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.json_type(doc text, path text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT
    AS $$ SELECT sandbox_json_kind(sandbox_json_at(doc, path)) $$;


--
-- Name: sandbox_concat(text, anyelement); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.sandbox_concat(joined text, value anyelement) RETURNS text
    LANGUAGE sql IMMUTABLE
    AS $$
SELECT CASE WHEN value IS NULL THEN joined WHEN joined IS NULL THEN value::text
            ELSE joined || ',' || value::text END
$$;


--
-- Name: sandbox_json_at(text, text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.sandbox_json_at(doc text, path text) RETURNS jsonb
    LANGUAGE plpgsql IMMUTABLE STRICT
    AS $$
DECLARE
    node jsonb := sandbox_jsonb(doc);
    step text[];
BEGIN
    FOR step IN SELECT regexp_matches(path, '\."([^"]*)"|\[([0-9]+)\]', 'g') LOOP
        IF step[1] IS NOT NULL THEN
            IF jsonb_typeof(node) <> 'object' THEN RETURN NULL; END IF;
            node := node -> step[1];
        ELSE
            IF jsonb_typeof(node) <> 'array' THEN RETURN NULL; END IF;
            node := node -> step[2]::int;
        END IF;
        IF node IS NULL THEN RETURN NULL; END IF;
    END LOOP;
    RETURN node;
END
$$;


--
-- Name: sandbox_json_kind(jsonb); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.sandbox_json_kind(node jsonb) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT
    AS $_$
SELECT CASE jsonb_typeof(node)
    WHEN 'string' THEN 'text'
    WHEN 'number' THEN CASE WHEN node::text ~ '^-?[0-9]+$' THEN 'integer' ELSE 'real' END
    WHEN 'boolean' THEN node::text
    ELSE jsonb_typeof(node) END
$_$;


--
-- Name: sandbox_json_text(jsonb); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.sandbox_json_text(node jsonb) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT
    AS $$
SELECT CASE jsonb_typeof(node)
    WHEN 'string' THEN node #>> '{}'
    WHEN 'boolean' THEN CASE WHEN node = 'true'::jsonb THEN '1' ELSE '0' END
    WHEN 'null' THEN NULL
    ELSE node::text END
$$;


--
-- Name: sandbox_jsonb(text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.sandbox_jsonb(doc text) RETURNS jsonb
    LANGUAGE sql IMMUTABLE STRICT
    AS $$ SELECT replace(doc, '\u0000', '\ufffd')::jsonb $$;


--
-- Name: sandbox_number(double precision); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.sandbox_number(value double precision) RETURNS double precision
    LANGUAGE sql IMMUTABLE STRICT
    AS $$ SELECT value $$;


--
-- Name: sandbox_number(text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.sandbox_number(value text) RETURNS double precision
    LANGUAGE plpgsql IMMUTABLE STRICT
    AS $_$
BEGIN
    -- The number rule of store/numbers.py: NUMBER_RE in full, then a correctly rounded
    -- float; out of range is an infinity (a negative exponent: zero), as Python's float().
    IF value !~ '^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$' THEN
        RETURN NULL;
    END IF;
    RETURN value::double precision;
EXCEPTION WHEN numeric_value_out_of_range THEN
    IF value ~ '[eE]-' THEN
        RETURN 0;
    END IF;
    RETURN CASE WHEN value LIKE '-%' THEN '-Infinity' ELSE 'Infinity' END::double precision;
END
$_$;


--
-- Name: sandbox_text(bytea); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.sandbox_text(raw bytea) RETURNS text
    LANGUAGE plpgsql IMMUTABLE STRICT
    AS $$
BEGIN
    RETURN convert_from(raw, 'UTF8');
EXCEPTION WHEN OTHERS THEN
    RETURN encode(raw, 'escape');
END
$$;


--
-- Name: group_concat(anyelement); Type: AGGREGATE; Schema: public; Owner: -
--

CREATE AGGREGATE public.group_concat(anyelement) (
    SFUNC = public.sandbox_concat,
    STYPE = text
);


SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: attempts; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.attempts (
    id bigint NOT NULL,
    delivery_id bigint NOT NULL,
    number bigint NOT NULL,
    started_at text NOT NULL,
    status bigint,
    latency_ms double precision,
    error text,
    response_headers_json text,
    response_snippet bytea
);


--
-- Name: attempts_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.attempts ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.attempts_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: captures; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.captures (
    id bigint NOT NULL,
    channel text NOT NULL,
    method text NOT NULL,
    path text NOT NULL,
    query_string text NOT NULL,
    query_json text NOT NULL,
    headers_json text NOT NULL,
    body bytea NOT NULL,
    decoded_body bytea,
    form_json text,
    json_body text,
    body_note text,
    content_type text,
    content_encoding text,
    remote_addr text,
    received_at text NOT NULL,
    body_size bigint NOT NULL,
    refused text,
    response_status bigint NOT NULL,
    response_headers_json text,
    response_body text,
    verdict text,
    verdict_detail_json text,
    lint_json text,
    click_id text,
    event_name text,
    transaction_id text,
    device_id text,
    revenue text,
    currency text,
    replay_key text,
    forward_json text,
    derived bigint DEFAULT 1 NOT NULL
);


--
-- Name: captures_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.captures ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.captures_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: channels; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.channels (
    name text NOT NULL,
    answer_json text NOT NULL,
    updated_at text NOT NULL,
    requests bigint DEFAULT 0 NOT NULL,
    verification_json text,
    forward_json text
);


--
-- Name: clicks; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.clicks (
    id bigint NOT NULL,
    click_id text NOT NULL,
    campaign text NOT NULL,
    network text NOT NULL,
    clicked_at text NOT NULL,
    clicked_unix double precision NOT NULL,
    ip text,
    user_agent text,
    platform text,
    device_id text,
    hints_json text DEFAULT '{}'::text NOT NULL,
    params_json text DEFAULT '{}'::text NOT NULL,
    redirect text
);


--
-- Name: clicks_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.clicks ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.clicks_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: counters; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.counters (
    name text NOT NULL,
    value bigint DEFAULT 0 NOT NULL
);


--
-- Name: deliveries; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.deliveries (
    id bigint NOT NULL,
    run_id bigint,
    postback_id text NOT NULL,
    seq bigint,
    kind text NOT NULL,
    network text NOT NULL,
    campaign text,
    event_name text,
    click_id text,
    install_id text,
    event_id text,
    method text NOT NULL,
    url text NOT NULL,
    headers_json text NOT NULL,
    body bytea,
    signing_json text,
    scheduled_at text,
    state text NOT NULL,
    attempts bigint DEFAULT 0 NOT NULL,
    last_status bigint,
    last_error text,
    last_latency_ms double precision,
    chaos text,
    created_at text NOT NULL,
    updated_at text NOT NULL,
    next_attempt_at text,
    ctit_seconds double precision
);


--
-- Name: deliveries_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.deliveries ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.deliveries_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: deriver; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.deriver (
    id integer NOT NULL,
    holder text,
    expires double precision DEFAULT 0 NOT NULL,
    CONSTRAINT deriver_id_check CHECK ((id = 1))
);


--
-- Name: device_ids; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.device_ids (
    value text NOT NULL,
    install_id text NOT NULL
);


--
-- Name: events; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.events (
    id bigint NOT NULL,
    event_id text NOT NULL,
    install_id text,
    name text NOT NULL,
    revenue double precision,
    currency text,
    params_json text DEFAULT '{}'::text NOT NULL,
    event_at text NOT NULL,
    event_unix double precision NOT NULL,
    received_at text NOT NULL,
    source text NOT NULL,
    dropped text
);


--
-- Name: events_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.events ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.events_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: installs; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.installs (
    id bigint NOT NULL,
    install_id text NOT NULL,
    platform text NOT NULL,
    att_status bigint,
    device_json text NOT NULL,
    click_id text,
    match_type text NOT NULL,
    network text,
    campaign text,
    installed_at text NOT NULL,
    installed_unix double precision NOT NULL,
    received_at text NOT NULL,
    source text NOT NULL
);


--
-- Name: installs_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.installs ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.installs_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: live_campaigns; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.live_campaigns (
    name text NOT NULL,
    network text NOT NULL,
    spec_json text NOT NULL,
    redirect text,
    updated_at text NOT NULL
);


--
-- Name: live_networks; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.live_networks (
    name text NOT NULL,
    spec_json text NOT NULL,
    updated_at text NOT NULL
);


--
-- Name: live_settings; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.live_settings (
    name text NOT NULL,
    value_json text NOT NULL
);


--
-- Name: runs; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.runs (
    id bigint NOT NULL,
    scenario text NOT NULL,
    source text,
    seed bigint NOT NULL,
    mode text NOT NULL,
    speed double precision,
    target_base text,
    concurrency bigint NOT NULL,
    started_at text NOT NULL,
    finished_at text,
    state text NOT NULL,
    summary_json text DEFAULT '{}'::text NOT NULL,
    expectations_json text
);


--
-- Name: runs_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.runs ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.runs_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: schema_version; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.schema_version (
    version integer NOT NULL
);


--
-- Name: sessions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.sessions (
    digest text NOT NULL,
    opened_at double precision NOT NULL
);


--
-- Name: skan_keys; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.skan_keys (
    id bigint NOT NULL,
    key_id text NOT NULL,
    public_key text NOT NULL,
    private_pem text NOT NULL,
    created_at text NOT NULL,
    retired_at text,
    current bigint,
    CONSTRAINT skan_keys_current_check CHECK ((current = 1))
);


--
-- Name: skan_keys_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.skan_keys ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.skan_keys_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Data for Name: attempts; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: captures; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.captures VALUES (1, 'net1', 'GET', '/pb/net1', 'click_id=a1&event=install', '{"click_id":["a1"],"event":["install"]}', '[]', '\x', NULL, NULL, NULL, NULL, NULL, NULL, '127.0.0.1', '2026-12-03T10:00:00.000000Z', 0, NULL, 200, NULL, NULL, NULL, NULL, NULL, 'a1', 'install', NULL, NULL, NULL, NULL, NULL, NULL, 1);
INSERT INTO public.captures VALUES (2, 'net1', 'POST', '/pb/net1', 'click_id=a2&event=af_purchase&revenue=9.99', '{"click_id":["a2"],"event":["af_purchase"],"revenue":["9.99"]}', '[["Content-Type","application/json"]]', '\x7b2263757272656e6379223a2022455552227d', NULL, NULL, '{"currency":"EUR"}', NULL, 'application/json', NULL, '127.0.0.1', '2026-12-03T10:00:01.000000Z', 19, NULL, 200, NULL, NULL, NULL, NULL, NULL, 'a2', 'af_purchase', NULL, NULL, '9.99', 'EUR', NULL, NULL, 1);


--
-- Data for Name: channels; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.channels VALUES ('net1', '{"fail_first": 1, "status": 201}', '2026-12-04T07:22:04.080446Z', 0, NULL, NULL);


--
-- Data for Name: clicks; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: counters; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: deliveries; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: deriver; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.deriver VALUES (1, NULL, 0);


--
-- Data for Name: device_ids; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: events; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: installs; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: live_campaigns; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: live_networks; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: live_settings; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: runs; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: schema_version; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.schema_version VALUES (8);


--
-- Data for Name: sessions; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: skan_keys; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Name: attempts_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.attempts_id_seq', 1, false);


--
-- Name: captures_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.captures_id_seq', 2, true);


--
-- Name: clicks_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.clicks_id_seq', 1, false);


--
-- Name: deliveries_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.deliveries_id_seq', 1, false);


--
-- Name: events_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.events_id_seq', 1, false);


--
-- Name: installs_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.installs_id_seq', 1, false);


--
-- Name: runs_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.runs_id_seq', 1, false);


--
-- Name: skan_keys_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.skan_keys_id_seq', 1, false);


--
-- Name: attempts attempts_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.attempts
    ADD CONSTRAINT attempts_pkey PRIMARY KEY (id);


--
-- Name: captures captures_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.captures
    ADD CONSTRAINT captures_pkey PRIMARY KEY (id);


--
-- Name: channels channels_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.channels
    ADD CONSTRAINT channels_pkey PRIMARY KEY (name);


--
-- Name: clicks clicks_click_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.clicks
    ADD CONSTRAINT clicks_click_id_key UNIQUE (click_id);


--
-- Name: clicks clicks_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.clicks
    ADD CONSTRAINT clicks_pkey PRIMARY KEY (id);


--
-- Name: counters counters_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.counters
    ADD CONSTRAINT counters_pkey PRIMARY KEY (name);


--
-- Name: deliveries deliveries_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.deliveries
    ADD CONSTRAINT deliveries_pkey PRIMARY KEY (id);


--
-- Name: deriver deriver_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.deriver
    ADD CONSTRAINT deriver_pkey PRIMARY KEY (id);


--
-- Name: device_ids device_ids_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.device_ids
    ADD CONSTRAINT device_ids_pkey PRIMARY KEY (value, install_id);


--
-- Name: events events_event_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.events
    ADD CONSTRAINT events_event_id_key UNIQUE (event_id);


--
-- Name: events events_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.events
    ADD CONSTRAINT events_pkey PRIMARY KEY (id);


--
-- Name: installs installs_install_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.installs
    ADD CONSTRAINT installs_install_id_key UNIQUE (install_id);


--
-- Name: installs installs_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.installs
    ADD CONSTRAINT installs_pkey PRIMARY KEY (id);


--
-- Name: live_campaigns live_campaigns_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.live_campaigns
    ADD CONSTRAINT live_campaigns_pkey PRIMARY KEY (name);


--
-- Name: live_networks live_networks_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.live_networks
    ADD CONSTRAINT live_networks_pkey PRIMARY KEY (name);


--
-- Name: live_settings live_settings_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.live_settings
    ADD CONSTRAINT live_settings_pkey PRIMARY KEY (name);


--
-- Name: runs runs_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.runs
    ADD CONSTRAINT runs_pkey PRIMARY KEY (id);


--
-- Name: sessions sessions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sessions
    ADD CONSTRAINT sessions_pkey PRIMARY KEY (digest);


--
-- Name: skan_keys skan_keys_current_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.skan_keys
    ADD CONSTRAINT skan_keys_current_key UNIQUE (current);


--
-- Name: skan_keys skan_keys_key_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.skan_keys
    ADD CONSTRAINT skan_keys_key_id_key UNIQUE (key_id);


--
-- Name: skan_keys skan_keys_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.skan_keys
    ADD CONSTRAINT skan_keys_pkey PRIMARY KEY (id);


--
-- Name: attempts_delivery; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX attempts_delivery ON public.attempts USING btree (delivery_id, number);


--
-- Name: captures_channel; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX captures_channel ON public.captures USING btree (channel, id);


--
-- Name: captures_click_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX captures_click_id ON public.captures USING btree (click_id) WHERE (click_id IS NOT NULL);


--
-- Name: captures_device; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX captures_device ON public.captures USING btree (device_id) WHERE (device_id IS NOT NULL);


--
-- Name: captures_event; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX captures_event ON public.captures USING btree (event_name, channel) WHERE (event_name IS NOT NULL);


--
-- Name: captures_received; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX captures_received ON public.captures USING btree (received_at);


--
-- Name: captures_replay; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX captures_replay ON public.captures USING btree (replay_key, channel) WHERE (replay_key IS NOT NULL);


--
-- Name: captures_transaction; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX captures_transaction ON public.captures USING btree (transaction_id) WHERE (transaction_id IS NOT NULL);


--
-- Name: captures_underived; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX captures_underived ON public.captures USING btree (id) WHERE (derived = 0);


--
-- Name: captures_verdict; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX captures_verdict ON public.captures USING btree (verdict, channel) WHERE (verdict IS NOT NULL);


--
-- Name: clicks_device; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX clicks_device ON public.clicks USING btree (device_id, clicked_unix) WHERE (device_id IS NOT NULL);


--
-- Name: clicks_network; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX clicks_network ON public.clicks USING btree (network, id);


--
-- Name: clicks_time; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX clicks_time ON public.clicks USING btree (clicked_at);


--
-- Name: deliveries_click; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX deliveries_click ON public.deliveries USING btree (click_id) WHERE (click_id IS NOT NULL);


--
-- Name: deliveries_event; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX deliveries_event ON public.deliveries USING btree (event_name, id) WHERE (event_name IS NOT NULL);


--
-- Name: deliveries_install; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX deliveries_install ON public.deliveries USING btree (install_id, kind) WHERE (install_id IS NOT NULL);


--
-- Name: deliveries_network; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX deliveries_network ON public.deliveries USING btree (network, id);


--
-- Name: deliveries_run; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX deliveries_run ON public.deliveries USING btree (run_id, id);


--
-- Name: deliveries_state; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX deliveries_state ON public.deliveries USING btree (state, id);


--
-- Name: events_install; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX events_install ON public.events USING btree (install_id, event_unix) WHERE (install_id IS NOT NULL);


--
-- Name: installs_click; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX installs_click ON public.installs USING btree (click_id) WHERE (click_id IS NOT NULL);


--
-- Name: installs_time; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX installs_time ON public.installs USING btree (installed_at);


--
-- PostgreSQL database dump complete
--


