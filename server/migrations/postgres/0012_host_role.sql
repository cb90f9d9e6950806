-- A third role: `host`, an employee who signs in to see their own visitors.
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('admin', 'receptionist', 'host'));
