-- MySQL dump 10.13
-- Host: localhost    Database: shop

# Customers who registered on the web shop.
CREATE TABLE `customer` (
  `id` int NOT NULL AUTO_INCREMENT, -- customer number
  `email` varchar(255) NOT NULL COMMENT 'login address', -- contact address (the COMMENT clause wins)
  `country` char(2) DEFAULT NULL, # ISO 3166 country code
  PRIMARY KEY (`id`)
) ENGINE=InnoDB;

-- Orders placed by customers.
CREATE TABLE `orders` (
  `id` int NOT NULL AUTO_INCREMENT,
  `customer_id` int NOT NULL, -- references customer(id)
  `total` decimal(10,2) NOT NULL, -- order total in the shop's currency
  PRIMARY KEY (`id`)
) ENGINE=InnoDB COMMENT='Every order, paid or not';
