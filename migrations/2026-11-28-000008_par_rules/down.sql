DROP TABLE par_rules;
