DROP TABLE publications;
DROP FUNCTION publications_are_immutable();
