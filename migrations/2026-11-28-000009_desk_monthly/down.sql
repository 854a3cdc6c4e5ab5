DROP INDEX desk_daily_instrument_id_day_idx;
DROP TABLE desk_months_done;
DROP TABLE desk_monthly;
