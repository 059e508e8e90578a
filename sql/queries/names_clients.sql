-- Every client's name: a name given on the command line is checked against
-- them, and the nearest is suggested when it matches none.
SELECT name FROM clients ORDER BY name
