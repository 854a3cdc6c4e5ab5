DROP INDEX held_ratings_decided_by_idx;
DROP INDEX responses_desk_id_submitted_at_idx;
DROP TABLE held_ratings;
DROP FUNCTION held_ratings_decided_once();
