DROP TABLE desk_daily;
DROP FUNCTION sipas_add(float8[], float8[]);
