// @generated automatically by Diesel CLI.

diesel::table! {
    agencies (id) {
        id -> Int4,
        code -> Text,
        name -> Text,
        level_id -> Int4,
        parent_id -> Nullable<Int4>,
        created_at -> Timestamptz,
        active -> Bool,
    }
}

diesel::table! {
    agency_levels (id) {
        id -> Int4,
        code -> Text,
        name_vi -> Text,
        name_en -> Text,
        position -> Int2,
    }
}

diesel::table! {
    /// A view over `responses.answer_values`: one row per answered item (value NULL: no opinion).
    answers (response_id, item_id) {
        response_id -> Uuid,
        instrument_id -> Int4,
        item_id -> Int4,
        value -> Nullable<Int2>,
    }
}

diesel::table! {
    app_secrets (name) {
        name -> Text,
        value -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    desk_daily (agency_id, day, desk_id, channel, respondent_kind, instrument_id, shard) {
        agency_id -> Int4,
        day -> Date,
        desk_id -> Int4,
        channel -> Text,
        respondent_kind -> Text,
        instrument_id -> Int4,
        shard -> Int2,
        responses -> Int8,
        stats -> Array<Int4>,
    }
}

diesel::table! {
    desks (id) {
        id -> Int4,
        agency_id -> Int4,
        code -> Text,
        name -> Text,
        key_version -> Int2,
        active -> Bool,
        created_at -> Timestamptz,
        opening_hours -> Nullable<Text>,
    }
}

diesel::table! {
    factors (id) {
        id -> Int4,
        instrument_id -> Int4,
        code -> Text,
        position -> Int2,
        name_vi -> Text,
        name_en -> Text,
    }
}

diesel::table! {
    waves (id) {
        id -> Int4,
        name -> Text,
        year -> Int2,
        instrument_id -> Int4,
        state -> Text,
        created_at -> Timestamptz,
        design -> Nullable<Jsonb>,
        draw -> Nullable<Jsonb>,
        fieldwork_started_at -> Nullable<Timestamptz>,
        reminder_days -> Array<Nullable<Int2>>,
        contacts_purged_at -> Nullable<Timestamptz>,
        closed_at -> Nullable<Timestamptz>,
        double_entry -> Bool,
    }
}

diesel::table! {
    sample_units (id) {
        id -> Int8,
        wave_id -> Int4,
        frame_unit_id -> Nullable<Int8>,
        agency_id -> Int4,
        reserve_rank -> Nullable<Int4>,
        inclusion_probability -> Float8,
        base_weight -> Float8,
        status -> Text,
        invited_at -> Nullable<Timestamptz>,
        reminded_at -> Nullable<Timestamptz>,
        responded_at -> Nullable<Timestamptz>,
        replaced_by -> Nullable<Int8>,
        reminders -> Int2,
        outcome_on -> Nullable<Date>,
    }
}

diesel::table! {
    outbox (id) {
        id -> Int8,
        kind -> Text,
        wave_id -> Nullable<Int4>,
        sample_unit_id -> Nullable<Int8>,
        lang -> Text,
        message_id -> Text,
        status -> Text,
        attempts -> Int4,
        next_attempt_at -> Timestamptz,
        lease_until -> Nullable<Timestamptz>,
        data_sent_at -> Nullable<Timestamptz>,
        last_error -> Nullable<Text>,
        created_at -> Timestamptz,
        sent_at -> Nullable<Timestamptz>,
        digest_id -> Nullable<Int8>,
    }
}

diesel::table! {
    nodes (id) {
        id -> Text,
        started_at -> Timestamptz,
        seen_at -> Timestamptz,
        rate_store -> Text,
        version -> Text,
    }
}

diesel::table! {
    digests (id) {
        id -> Int8,
        user_id -> Int4,
        kind -> Text,
        period_start -> Date,
        period_end -> Date,
        lang -> Text,
        subject -> Text,
        body_text -> Text,
        body_html -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    choice_questions (id) {
        id -> Int4,
        instrument_id -> Int4,
        code -> Text,
        kind -> Text,
        multiple -> Bool,
        position -> Int2,
        text_vi -> Text,
        text_en -> Text,
    }
}

diesel::table! {
    choice_options (question_id, value) {
        question_id -> Int4,
        value -> Int2,
        label_vi -> Text,
        label_en -> Text,
    }
}

diesel::table! {
    response_choices (response_id, question_id, value) {
        response_id -> Uuid,
        question_id -> Int4,
        value -> Int2,
    }
}

diesel::table! {
    paper_entries (id) {
        id -> Int8,
        sample_unit_id -> Int8,
        entry_no -> Int2,
        keyed_by -> Int4,
        respondent_kind -> Text,
        comment -> Nullable<Text>,
        answer_values -> Array<Nullable<Int2>>,
        keyed_at -> Timestamptz,
        choices -> Array<Int4>,
    }
}

diesel::table! {
    outbox_attempts (id) {
        id -> Int8,
        message -> Int8,
        started_at -> Timestamptz,
        finished_at -> Nullable<Timestamptz>,
        outcome -> Nullable<Text>,
        detail -> Nullable<Text>,
    }
}

diesel::table! {
    wave_strata (wave_id, agency_id) {
        wave_id -> Int4,
        agency_id -> Int4,
        population -> Int4,
        respondents -> Int4,
        invited -> Int4,
        margin -> Nullable<Float8>,
    }
}

diesel::table! {
    frame_units (id) {
        id -> Int8,
        wave_id -> Int4,
        line -> Int4,
        dossier_code -> Text,
        agency_id -> Int4,
        procedure_code -> Nullable<Text>,
        completed_on -> Date,
        respondent_kind -> Text,
        name -> Nullable<Text>,
        phone -> Nullable<Text>,
        email -> Nullable<Text>,
        address -> Nullable<Text>,
    }
}

diesel::table! {
    instruments (id) {
        id -> Int4,
        code -> Text,
        name_vi -> Text,
        name_en -> Text,
        source -> Text,
        satisfied_threshold -> Int2,
        created_at -> Timestamptz,
        item_count -> Int2,
    }
}

diesel::table! {
    items (id) {
        id -> Int4,
        instrument_id -> Int4,
        factor_id -> Nullable<Int4>,
        code -> Text,
        kind -> Text,
        position -> Int2,
        text_vi -> Text,
        text_en -> Text,
        on_desk_form -> Bool,
        on_full_form -> Bool,
    }
}

diesel::table! {
    publications (id) {
        id -> Int4,
        period_from -> Date,
        period_to -> Date,
        channel -> Text,
        instrument_id -> Int4,
        published_at -> Timestamptz,
        published_by -> Nullable<Int4>,
        body -> Text,
        sha256 -> Text,
        previous_sha256 -> Nullable<Text>,
    }
}

diesel::table! {
    responses (id) {
        id -> Uuid,
        instrument_id -> Int4,
        agency_id -> Int4,
        desk_id -> Nullable<Int4>,
        channel -> Text,
        submitted_at -> Timestamptz,
        respondent_kind -> Text,
        procedure_code -> Nullable<Text>,
        comment -> Nullable<Text>,
        answer_values -> Array<Nullable<Int2>>,
        answer_count -> Nullable<Int2>,
        sample_unit_id -> Nullable<Int8>,
        comment_search -> Nullable<Text>,
        comment_search_v -> Nullable<Int2>,
    }
}

diesel::table! {
    scale_levels (instrument_id, value) {
        instrument_id -> Int4,
        value -> Int2,
        label_vi -> Text,
        label_en -> Text,
    }
}

diesel::table! {
    rate_buckets (key) {
        key -> Bytea,
        tokens -> Float8,
        updated_at -> Timestamptz,
        allowed -> Bool,
    }
}

diesel::table! {
    staff_sessions (id_hash) {
        id_hash -> Bytea,
        user_id -> Int4,
        created_at -> Timestamptz,
        last_seen_at -> Timestamptz,
        expires_at -> Timestamptz,
    }
}

diesel::table! {
    login_failures (username) {
        username -> Text,
        failures -> Int4,
        last_failure_at -> Timestamptz,
        blocked_until -> Timestamptz,
    }
}

diesel::table! {
    users (id) {
        id -> Int4,
        username -> Text,
        password_hash -> Text,
        role -> Text,
        agency_id -> Nullable<Int4>,
        created_at -> Timestamptz,
        active -> Bool,
        email -> Nullable<Text>,
        digest -> Text,
        mail_lang -> Text,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> Int4,
        user_id -> Int4,
        token_sha256 -> Bytea,
        label -> Text,
        created_at -> Timestamptz,
        revoked_at -> Nullable<Timestamptz>,
        last_used_on -> Nullable<Date>,
    }
}

diesel::table! {
    targets (id) {
        id -> Int4,
        level_id -> Nullable<Int4>,
        agency_id -> Nullable<Int4>,
        value -> Float8,
        set_at -> Timestamptz,
    }
}

diesel::table! {
    hidden_comments (response_id) {
        response_id -> Uuid,
        hidden_by -> Int4,
        hidden_at -> Timestamptz,
    }
}

diesel::table! {
    rollup_state (only_row) {
        only_row -> Bool,
        stale -> Bool,
        generation -> Int8,
    }
}

diesel::table! {
    par_rules (year) {
        year -> Int4,
        max_points -> Float8,
        rule -> Text,
        brackets -> Jsonb,
        set_at -> Timestamptz,
    }
}

diesel::table! {
    desk_monthly (agency_id, month, desk_id, channel, respondent_kind, instrument_id) {
        agency_id -> Int4,
        month -> Date,
        desk_id -> Int4,
        channel -> Text,
        respondent_kind -> Text,
        instrument_id -> Int4,
        responses -> Int8,
        stats -> Array<Int4>,
    }
}

diesel::table! {
    desk_months_done (instrument_id, month) {
        instrument_id -> Int4,
        month -> Date,
        compacted_at -> Timestamptz,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Int8,
        at -> Timestamptz,
        actor_id -> Nullable<Int4>,
        actor -> Text,
        action -> Text,
        entity_id -> Text,
        before -> Nullable<Jsonb>,
        after -> Nullable<Jsonb>,
    }
}

diesel::table! {
    receipts (id) {
        id -> Int8,
        dossier_hash -> Bytea,
        agency_id -> Int4,
        desk_id -> Int4,
        procedure_code -> Nullable<Text>,
        returned_on -> Date,
        expires_on -> Date,
    }
}

diesel::table! {
    receipt_nullifiers (nullifier) {
        nullifier -> Bytea,
    }
}

diesel::table! {
    client_salts (day) {
        day -> Date,
        salt -> Bytea,
    }
}

diesel::table! {
    client_marks (response_id) {
        response_id -> Uuid,
        day -> Date,
        desk_id -> Int4,
        client -> Bytea,
    }
}

diesel::table! {
    held_ratings (response_id) {
        response_id -> Uuid,
        reasons -> Array<Text>,
        details -> Jsonb,
        held_at -> Timestamptz,
        decision -> Nullable<Text>,
        decided_at -> Nullable<Timestamptz>,
        decided_by -> Nullable<Int4>,
    }
}

diesel::joinable!(agencies -> agency_levels (level_id));
diesel::joinable!(desk_daily -> instruments (instrument_id));
diesel::joinable!(desk_monthly -> instruments (instrument_id));
diesel::joinable!(desk_months_done -> instruments (instrument_id));
diesel::joinable!(desks -> agencies (agency_id));
diesel::joinable!(factors -> instruments (instrument_id));
diesel::joinable!(items -> instruments (instrument_id));
diesel::joinable!(publications -> instruments (instrument_id));
diesel::joinable!(publications -> users (published_by));
diesel::joinable!(responses -> agencies (agency_id));
diesel::joinable!(responses -> instruments (instrument_id));
diesel::joinable!(scale_levels -> instruments (instrument_id));
diesel::joinable!(users -> agencies (agency_id));
diesel::joinable!(audit_log -> users (actor_id));
diesel::joinable!(api_tokens -> users (user_id));
diesel::joinable!(hidden_comments -> responses (response_id));
diesel::joinable!(waves -> instruments (instrument_id));
diesel::joinable!(frame_units -> waves (wave_id));
diesel::joinable!(frame_units -> agencies (agency_id));
diesel::joinable!(wave_strata -> waves (wave_id));
diesel::joinable!(sample_units -> waves (wave_id));
diesel::joinable!(sample_units -> frame_units (frame_unit_id));
diesel::joinable!(sample_units -> agencies (agency_id));
diesel::joinable!(wave_strata -> agencies (agency_id));
diesel::joinable!(outbox -> waves (wave_id));
diesel::joinable!(outbox -> sample_units (sample_unit_id));
diesel::joinable!(outbox_attempts -> outbox (message));
diesel::joinable!(outbox -> digests (digest_id));
diesel::joinable!(digests -> users (user_id));
diesel::joinable!(paper_entries -> sample_units (sample_unit_id));
diesel::joinable!(choice_questions -> instruments (instrument_id));
diesel::joinable!(choice_options -> choice_questions (question_id));
diesel::joinable!(response_choices -> responses (response_id));
diesel::joinable!(paper_entries -> users (keyed_by));
diesel::joinable!(responses -> sample_units (sample_unit_id));
diesel::joinable!(staff_sessions -> users (user_id));
diesel::joinable!(receipts -> agencies (agency_id));
diesel::joinable!(receipts -> desks (desk_id));
diesel::joinable!(held_ratings -> responses (response_id));
diesel::joinable!(client_marks -> responses (response_id));
diesel::joinable!(held_ratings -> users (decided_by));

diesel::allow_tables_to_appear_in_same_query!(
    nodes,
    digests,
    client_salts,
    client_marks,
    held_ratings,
    receipts,
    receipt_nullifiers,
    rate_buckets,
    staff_sessions,
    login_failures,
    agencies,
    api_tokens,
    agency_levels,
    answers,
    app_secrets,
    choice_options,
    choice_questions,
    audit_log,
    desk_daily,
    desk_monthly,
    desk_months_done,
    desks,
    factors,
    frame_units,
    hidden_comments,
    instruments,
    items,
    outbox,
    outbox_attempts,
    paper_entries,
    par_rules,
    publications,
    response_choices,
    responses,
    rollup_state,
    sample_units,
    targets,
    scale_levels,
    users,
    wave_strata,
    waves,
);
