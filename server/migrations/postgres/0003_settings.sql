-- Tenant settings: kiosk/email language, the visitor agreement per language (a JSON object of
-- language → text; no personal data), and host notification options.
ALTER TABLE tenants ADD COLUMN language text NOT NULL DEFAULT 'en' CHECK (language IN ('en', 'fr'));
ALTER TABLE tenants ADD COLUMN consent_text text NOT NULL DEFAULT '{}';
ALTER TABLE tenants ADD COLUMN notify_checkout boolean NOT NULL DEFAULT false;
ALTER TABLE tenants ADD COLUMN notify_waiting_minutes integer CHECK (notify_waiting_minutes BETWEEN 1 AND 1440);
