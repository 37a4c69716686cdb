/*
 * Payroll schema, exported with pg_dump and annotated by hand.
 */

-- Departments of the company.
CREATE TABLE payroll.department (
    id serial PRIMARY KEY, -- department number
    name text NOT NULL -- e.g. 'Finance', 'Research'
);

-- Employees, current and former.
CREATE TABLE payroll.employee (
    id serial PRIMARY KEY,
    /* full legal name */
    full_name text NOT NULL,
    department_id integer, -- references department(id)
    manager_id integer, -- the employee's manager: references employee(id) or contractor(id)
    hired_on date -- first working day
);

CREATE TABLE payroll.salary (
    employee_id integer REFERENCES payroll.employee (id), -- references department(id) by mistake; the clause wins
    amount numeric(12, 2) NOT NULL, -- gross monthly amount in EUR
    valid_from date NOT NULL
);
COMMENT ON TABLE payroll.salary IS 'Salary history; one row per change';
COMMENT ON COLUMN payroll.salary.amount IS 'gross monthly salary';
