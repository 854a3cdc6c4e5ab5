DROP TABLE desk_daily;
DROP AGGREGATE sipas_sum(int4[]);
DROP FUNCTION sipas_add(int4[], int4[]);
