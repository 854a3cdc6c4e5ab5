DROP TABLE client_marks;
DROP TABLE client_salts;
