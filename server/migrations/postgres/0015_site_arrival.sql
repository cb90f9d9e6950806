-- What an invited visitor should know on arriving at a site (the entrance, what to bring), put in
-- their invitation email. Not personal data: it is the site's, written by its admins.
ALTER TABLE sites ADD COLUMN arrival_instructions text;
