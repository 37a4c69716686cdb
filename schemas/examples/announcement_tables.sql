-- The four tables of the Jina Reranker v2 announcement's text-to-SQL example.
CREATE TABLE customer_personal_info (
  customer_id INT PRIMARY KEY,
  first_name VARCHAR(50),
  last_name VARCHAR(50),
  email VARCHAR(100),
  phone_number VARCHAR(15),
  address VARCHAR(255),
  city VARCHAR(50),
  state VARCHAR(50),
  zip_code VARCHAR(10),
  country VARCHAR(50)
);
CREATE TABLE supplier_company_info (
  supplier_id INT PRIMARY KEY,
  company_name VARCHAR(100),
  contact_name VARCHAR(50),
  contact_email VARCHAR(100),
  contact_phone VARCHAR(15),
  address VARCHAR(255),
  city VARCHAR(50),
  state VARCHAR(50),
  zip_code VARCHAR(10),
  country VARCHAR(50)
);
CREATE TABLE transactions (
  transaction_id INT PRIMARY KEY,
  customer_id INT,
  product_id INT,
  transaction_date DATE,
  quantity INT,
  total_price DECIMAL(10, 2),
  FOREIGN KEY (customer_id) REFERENCES customer_personal_info(customer_id),
  FOREIGN KEY (product_id) REFERENCES products(product_id)
);
CREATE TABLE products (
  product_id INT PRIMARY KEY,
  product_name VARCHAR(100),
  description TEXT,
  category VARCHAR(50),
  price DECIMAL(10, 2),
  supplier_id INT,
  FOREIGN KEY (supplier_id) REFERENCES supplier_company_info(supplier_id)
);
