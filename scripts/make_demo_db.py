"""Build ``toolrouter/data/retail.db``, the small SQLite retail database of ``toolrouter demo``.

The four tables of the Jina Reranker v2 announcement (``schemas/examples/announcement_tables.sql``,
used verbatim) sit among 30 distractor tables of a retail company (HR, stores, logistics,
marketing, finance, support), all linked by foreign keys. Rows come from a seeded random
generator, so the same script always writes the same rows.

Dates run up to ``REFERENCE_DATE``, the last transaction date; "the past 7 days" in the demo
means the 7 days up to the newest ``transaction_date`` in the database, so the demo's answer
never depends on today's date. Summer apparel sells more in June, so that week has buyers.

Usage::

    python scripts/make_demo_db.py [OUT]     # default: toolrouter/data/retail.db
"""

from __future__ import annotations

import argparse
import random
import sqlite3
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ANNOUNCEMENT_DDL = ROOT / "schemas" / "examples" / "announcement_tables.sql"
DEFAULT_OUT = ROOT / "toolrouter" / "data" / "retail.db"
SEED = 20250630
# The newest transaction date: "today" for the demo's questions.
REFERENCE_DATE = date(2025, 6, 30)
# Days of transaction history before REFERENCE_DATE.
HISTORY_DAYS = 120

DISTRACTOR_DDL = """
CREATE TABLE departments (department_id INT PRIMARY KEY, department_name VARCHAR(50), cost_center VARCHAR(10));
CREATE TABLE job_positions (position_id INT PRIMARY KEY, title VARCHAR(80), department_id INT,
  min_salary DECIMAL(10, 2), max_salary DECIMAL(10, 2),
  FOREIGN KEY (department_id) REFERENCES departments(department_id));
CREATE TABLE warehouses (warehouse_id INT PRIMARY KEY, warehouse_name VARCHAR(80), city VARCHAR(50),
  country VARCHAR(50), capacity_units INT);
CREATE TABLE stores (store_id INT PRIMARY KEY, store_name VARCHAR(80), city VARCHAR(50), country VARCHAR(50),
  opened_on DATE, warehouse_id INT, FOREIGN KEY (warehouse_id) REFERENCES warehouses(warehouse_id));
CREATE TABLE employees (employee_id INT PRIMARY KEY, first_name VARCHAR(50), last_name VARCHAR(50),
  work_email VARCHAR(100), hire_date DATE, position_id INT, department_id INT, manager_id INT, store_id INT,
  FOREIGN KEY (position_id) REFERENCES job_positions(position_id),
  FOREIGN KEY (department_id) REFERENCES departments(department_id),
  FOREIGN KEY (manager_id) REFERENCES employees(employee_id),
  FOREIGN KEY (store_id) REFERENCES stores(store_id));
CREATE TABLE store_staff (store_id INT, employee_id INT, role VARCHAR(30), PRIMARY KEY (store_id, employee_id),
  FOREIGN KEY (store_id) REFERENCES stores(store_id), FOREIGN KEY (employee_id) REFERENCES employees(employee_id));
CREATE TABLE payroll (payroll_id INT PRIMARY KEY, employee_id INT, pay_period_start DATE, pay_period_end DATE,
  gross_pay DECIMAL(10, 2), tax_withheld DECIMAL(10, 2), net_pay DECIMAL(10, 2),
  FOREIGN KEY (employee_id) REFERENCES employees(employee_id));
CREATE TABLE leave_requests (leave_id INT PRIMARY KEY, employee_id INT, start_date DATE, end_date DATE,
  leave_type VARCHAR(20), status VARCHAR(20), approved_by INT,
  FOREIGN KEY (employee_id) REFERENCES employees(employee_id),
  FOREIGN KEY (approved_by) REFERENCES employees(employee_id));
CREATE TABLE performance_reviews (review_id INT PRIMARY KEY, employee_id INT, reviewer_id INT, review_date DATE,
  rating INT, comments TEXT, FOREIGN KEY (employee_id) REFERENCES employees(employee_id),
  FOREIGN KEY (reviewer_id) REFERENCES employees(employee_id));
CREATE TABLE carriers (carrier_id INT PRIMARY KEY, carrier_name VARCHAR(50), service_level VARCHAR(20),
  tracking_url VARCHAR(255));
CREATE TABLE inventory_levels (warehouse_id INT, product_id INT, quantity_on_hand INT, reorder_point INT,
  last_counted DATE, PRIMARY KEY (warehouse_id, product_id),
  FOREIGN KEY (warehouse_id) REFERENCES warehouses(warehouse_id),
  FOREIGN KEY (product_id) REFERENCES products(product_id));
CREATE TABLE shipments (shipment_id INT PRIMARY KEY, transaction_id INT, carrier_id INT, warehouse_id INT,
  shipped_date DATE, delivered_date DATE, status VARCHAR(20),
  FOREIGN KEY (transaction_id) REFERENCES transactions(transaction_id),
  FOREIGN KEY (carrier_id) REFERENCES carriers(carrier_id),
  FOREIGN KEY (warehouse_id) REFERENCES warehouses(warehouse_id));
CREATE TABLE purchase_orders (purchase_order_id INT PRIMARY KEY, supplier_id INT, warehouse_id INT,
  order_date DATE, expected_date DATE, status VARCHAR(20),
  FOREIGN KEY (supplier_id) REFERENCES supplier_company_info(supplier_id),
  FOREIGN KEY (warehouse_id) REFERENCES warehouses(warehouse_id));
CREATE TABLE purchase_order_lines (purchase_order_id INT, line_no INT, product_id INT, quantity INT,
  unit_cost DECIMAL(10, 2), PRIMARY KEY (purchase_order_id, line_no),
  FOREIGN KEY (purchase_order_id) REFERENCES purchase_orders(purchase_order_id),
  FOREIGN KEY (product_id) REFERENCES products(product_id));
CREATE TABLE campaigns (campaign_id INT PRIMARY KEY, campaign_name VARCHAR(100), channel VARCHAR(20),
  start_date DATE, end_date DATE, budget DECIMAL(10, 2));
CREATE TABLE ad_spend (ad_spend_id INT PRIMARY KEY, campaign_id INT, spend_date DATE, platform VARCHAR(20),
  amount DECIMAL(10, 2), impressions INT, clicks INT, FOREIGN KEY (campaign_id) REFERENCES campaigns(campaign_id));
CREATE TABLE email_events (event_id INT PRIMARY KEY, campaign_id INT, customer_id INT, event_type VARCHAR(20),
  event_time TIMESTAMP, FOREIGN KEY (campaign_id) REFERENCES campaigns(campaign_id),
  FOREIGN KEY (customer_id) REFERENCES customer_personal_info(customer_id));
CREATE TABLE coupons (coupon_id INT PRIMARY KEY, code VARCHAR(20), campaign_id INT, discount_percent INT,
  valid_from DATE, valid_until DATE, FOREIGN KEY (campaign_id) REFERENCES campaigns(campaign_id));
CREATE TABLE coupon_redemptions (redemption_id INT PRIMARY KEY, coupon_id INT, transaction_id INT, redeemed_on DATE,
  FOREIGN KEY (coupon_id) REFERENCES coupons(coupon_id),
  FOREIGN KEY (transaction_id) REFERENCES transactions(transaction_id));
CREATE TABLE loyalty_accounts (loyalty_id INT PRIMARY KEY, customer_id INT, tier VARCHAR(10), points_balance INT,
  joined_on DATE, FOREIGN KEY (customer_id) REFERENCES customer_personal_info(customer_id));
CREATE TABLE web_sessions (session_id INT PRIMARY KEY, customer_id INT, started_at TIMESTAMP, device VARCHAR(20),
  pages_viewed INT, FOREIGN KEY (customer_id) REFERENCES customer_personal_info(customer_id));
CREATE TABLE gl_accounts (gl_account_id INT PRIMARY KEY, account_number VARCHAR(10), account_name VARCHAR(80),
  account_type VARCHAR(20));
CREATE TABLE invoices (invoice_id INT PRIMARY KEY, supplier_id INT, purchase_order_id INT, invoice_date DATE,
  due_date DATE, amount DECIMAL(10, 2), status VARCHAR(20),
  FOREIGN KEY (supplier_id) REFERENCES supplier_company_info(supplier_id),
  FOREIGN KEY (purchase_order_id) REFERENCES purchase_orders(purchase_order_id));
CREATE TABLE supplier_payments (payment_id INT PRIMARY KEY, invoice_id INT, paid_on DATE, amount DECIMAL(10, 2),
  method VARCHAR(20), FOREIGN KEY (invoice_id) REFERENCES invoices(invoice_id));
CREATE TABLE expenses (expense_id INT PRIMARY KEY, employee_id INT, gl_account_id INT, expense_date DATE,
  amount DECIMAL(10, 2), description VARCHAR(255),
  FOREIGN KEY (employee_id) REFERENCES employees(employee_id),
  FOREIGN KEY (gl_account_id) REFERENCES gl_accounts(gl_account_id));
CREATE TABLE budgets (budget_id INT PRIMARY KEY, department_id INT, gl_account_id INT, fiscal_year INT,
  amount DECIMAL(12, 2), FOREIGN KEY (department_id) REFERENCES departments(department_id),
  FOREIGN KEY (gl_account_id) REFERENCES gl_accounts(gl_account_id));
CREATE TABLE support_tickets (ticket_id INT PRIMARY KEY, customer_id INT, assigned_to INT, opened_at TIMESTAMP,
  closed_at TIMESTAMP, priority VARCHAR(10), subject VARCHAR(200), status VARCHAR(20),
  FOREIGN KEY (customer_id) REFERENCES customer_personal_info(customer_id),
  FOREIGN KEY (assigned_to) REFERENCES employees(employee_id));
CREATE TABLE ticket_comments (comment_id INT PRIMARY KEY, ticket_id INT, employee_id INT, created_at TIMESTAMP,
  body TEXT, FOREIGN KEY (ticket_id) REFERENCES support_tickets(ticket_id),
  FOREIGN KEY (employee_id) REFERENCES employees(employee_id));
CREATE TABLE product_reviews (review_id INT PRIMARY KEY, product_id INT, customer_id INT, rating INT,
  review_text TEXT, review_date DATE, FOREIGN KEY (product_id) REFERENCES products(product_id),
  FOREIGN KEY (customer_id) REFERENCES customer_personal_info(customer_id));
CREATE TABLE returns (return_id INT PRIMARY KEY, transaction_id INT, return_date DATE, reason VARCHAR(100),
  refund_amount DECIMAL(10, 2), FOREIGN KEY (transaction_id) REFERENCES transactions(transaction_id));
"""

FIRST_NAMES = (
    "Anna", "Ben", "Clara", "David", "Emma", "Felix", "Greta", "Hugo", "Ines", "Jonas", "Kira", "Leon", "Mia",
    "Noah", "Olivia", "Paul", "Quinn", "Rosa", "Sam", "Tara", "Umar", "Vera", "Will", "Xenia", "Yusuf", "Zoe",
    "Aiko", "Bruno", "Chloe", "Diego", "Elif", "Farid", "Hana", "Ivan", "Julia", "Kenji", "Lena", "Marco", "Nina",
    "Omar"
)
LAST_NAMES = (
    "Smith", "Müller", "Garcia", "Rossi", "Tanaka", "Novak", "Jensen", "Dubois", "Kowalski", "Silva", "Schmidt",
    "Brown", "Nguyen", "Weber", "Lopez", "Fischer", "Martin", "Sato", "Meyer", "Costa", "Wagner", "Becker",
    "Hoffmann", "Moreau", "Ricci", "Kim", "Andersen"
)
CITIES = (("Berlin", "Berlin", "10115", "Germany"), ("Munich", "Bavaria", "80331", "Germany"),
          ("Hamburg", "Hamburg", "20095", "Germany"), ("Vienna", "Vienna", "1010", "Austria"),
          ("Zurich", "Zurich", "8001", "Switzerland"), ("Paris", "Île-de-France", "75001", "France"),
          ("Amsterdam", "North Holland", "1012", "Netherlands"), ("Austin", "Texas", "73301", "USA"),
          ("Seattle", "Washington", "98101", "USA"), ("Tokyo", "Tokyo", "100-0001", "Japan"))
STREETS = ("Main Street", "Lindenallee", "Harbour Road", "Rue de Rivoli", "Market Square", "Parkweg", "Oak Avenue",
           "Sakura Dori")
# category → (product name, description) pairs.
CATALOG = {
    "Summer Apparel": [
        ("Linen Summer Dress", "Breathable linen midi dress for hot summer days."),
        ("Floral Sundress", "Light cotton sundress with a floral print, perfect for summer outfits."),
        ("Cotton Beach Shorts", "Quick-dry cotton shorts for the beach and summer holidays."),
        ("Lightweight Linen Shirt", "Short-sleeve linen shirt that keeps you cool in summer."),
        ("Breezy Maxi Skirt", "Flowing maxi skirt in airy viscose for summer evenings."),
        ("Swim Trunks", "Colourful swim trunks with a mesh lining."),
        ("Straw Sun Hat", "Wide-brim straw hat with UV protection; completes any summer outfit."),
        ("Striped Tank Top", "Sleeveless striped tank top in organic cotton."),
    ],
    "Outerwear": [("Waterproof Rain Jacket", "Packable rain jacket with taped seams."),
                  ("Wool Winter Coat", "Double-breasted wool coat for cold winters."),
                  ("Quilted Puffer Vest", "Warm, light vest for layering in autumn.")],
    "Footwear": [("Leather Sandals", "Hand-stitched leather sandals for summer walks."),
                 ("Trail Running Shoes", "Grippy trail shoes with a cushioned sole."),
                 ("Canvas Sneakers", "Classic low-top canvas sneakers."),
                 ("Chelsea Boots", "Suede Chelsea boots with elastic side panels.")],
    "Accessories": [("Polarized Sunglasses", "UV400 polarized sunglasses with a case."),
                    ("Leather Belt", "Full-grain leather belt with a brass buckle."),
                    ("Canvas Tote Bag", "Sturdy tote bag for shopping and the beach."),
                    ("Silk Scarf", "Printed silk scarf, 90 x 90 cm.")],
    "Home & Kitchen": [("Ceramic Pour-Over Set", "Ceramic dripper with two mugs."),
                       ("Cast Iron Skillet", "Pre-seasoned 26 cm cast iron pan."),
                       ("Linen Bed Sheets", "Stonewashed linen sheet set, queen size."),
                       ("Glass Storage Jars", "Set of four airtight glass jars.")],
    "Electronics": [("Wireless Earbuds", "Noise-cancelling earbuds with a charging case."),
                    ("Portable Power Bank", "10,000 mAh power bank with USB-C."),
                    ("Smart Fitness Band", "Tracks steps, sleep and heart rate.")],
    "Outdoor Gear": [("Two-Person Tent", "Lightweight dome tent for summer camping."),
                     ("Insulated Water Bottle", "Keeps drinks cold for 24 hours."),
                     ("Hiking Backpack 30L", "Ventilated daypack with a rain cover.")],
    "Beauty": [("Mineral Sunscreen SPF 50", "Reef-safe mineral sunscreen."),
               ("Aloe After-Sun Gel", "Cooling aloe vera gel for sun-exposed skin.")],
}
SUPPLIERS = ("Nordic Textiles AB", "Riviera Linen SARL", "Alpine Outfitters GmbH", "Kyoto Craft Co.",
             "Lisbon Leatherworks Lda", "Pacific Sun Apparel Inc.", "Rhine Home Goods GmbH", "Volt Electronics Ltd",
             "TrailMark Gear LLC", "Azure Beauty SpA", "Baltic Cotton OÜ", "Sierra Footwear SA")


def _day(offset: int) -> str:
    return (REFERENCE_DATE - timedelta(days=offset)).isoformat()


def _age(day: str) -> int:
    """Days from an ISO date to REFERENCE_DATE."""
    return (REFERENCE_DATE - date.fromisoformat(day)).days


def _time(rng: random.Random, offset_days: int) -> str:
    moment = datetime.combine(REFERENCE_DATE - timedelta(days=offset_days), datetime.min.time())
    return (moment + timedelta(minutes=rng.randrange(8 * 60, 22 * 60))).isoformat(sep=" ")


def _money(rng: random.Random, low: float, high: float) -> float:
    return round(rng.uniform(low, high), 2)


def build(out: Path) -> None:
    """Write the database to ``out`` (replacing it)."""
    rng = random.Random(SEED)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    db = sqlite3.connect(out)
    db.executescript(ANNOUNCEMENT_DDL.read_text(encoding="utf-8") + DISTRACTOR_DDL)

    def insert(table: str, rows: list[tuple]) -> None:
        db.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(rows[0]))})", rows)

    def person(i: int) -> tuple[str, str]:
        return FIRST_NAMES[i * 7 % len(FIRST_NAMES)], LAST_NAMES[(i * 11 + i // 5) % len(LAST_NAMES)]

    customers = []
    for i in range(1, 81):
        first, last = person(i)
        city, state, zip_code, country = rng.choice(CITIES)
        customers.append((i, first, last, f"{first}.{last}{i}@example.com".lower(),
                          f"+49 30 {rng.randrange(10**6, 10**7)}", f"{rng.randrange(1, 200)} {rng.choice(STREETS)}",
                          city, state, zip_code, country))
    insert("customer_personal_info", customers)
    suppliers = []
    for i, company in enumerate(SUPPLIERS, start=1):
        first, last = person(i + 40)
        city, state, zip_code, country = rng.choice(CITIES)
        suppliers.append((i, company, f"{first} {last}", f"{first.lower()}@{company.split()[0].lower()}.example",
                          f"+41 44 {rng.randrange(10**6, 10**7)}", f"{rng.randrange(1, 99)} {rng.choice(STREETS)}",
                          city, state, zip_code, country))
    insert("supplier_company_info", suppliers)
    products = []
    for category, items in CATALOG.items():
        for name, description in items:
            products.append((len(products) + 1, name, description, category, _money(rng, 9, 180),
                             rng.randrange(1, len(SUPPLIERS) + 1)))
    insert("products", products)
    summer = [p for p in products if p[3] == "Summer Apparel"]
    transactions = []
    for i in range(1, 601):
        offset = 0 if i == 600 else rng.randrange(HISTORY_DAYS)
        # Summer apparel sells more as summer comes (a third of June sales).
        product = rng.choice(summer) if offset < 30 and rng.random() < 0.33 else rng.choice(products)
        quantity = rng.choice((1, 1, 1, 2, 2, 3))
        total = round(product[4] * quantity, 2)
        transactions.append((i, rng.randrange(1, 81), product[0], _day(offset), quantity, total))
    transactions.sort(key=lambda t: (t[3], t[0]))
    transactions = [(i, *t[1:]) for i, t in enumerate(transactions, start=1)]
    insert("transactions", transactions)

    departments = ["Sales", "Marketing", "Logistics", "Finance", "Human Resources", "Customer Support", "IT"]
    insert("departments", [(i, name, f"CC{100 + i}") for i, name in enumerate(departments, start=1)])
    positions = [("Store Associate", 1), ("Store Manager", 1), ("Marketing Analyst", 2), ("Warehouse Operator", 3),
                 ("Logistics Planner", 3), ("Accountant", 4), ("HR Partner", 5), ("Support Agent", 6),
                 ("Support Lead", 6), ("Software Engineer", 7)]
    insert("job_positions", [(i, title, dept, 30000 + 4000 * i, 45000 + 6000 * i)
                             for i, (title, dept) in enumerate(positions, start=1)])
    insert("warehouses", [(i, f"{city} Distribution Center", city, country, rng.randrange(5, 50) * 1000)
                          for i, (city, _, _, country) in enumerate(CITIES[:5], start=1)])
    insert("stores", [(i, f"{city} Flagship", city, country, _day(rng.randrange(400, 3000)), (i - 1) % 5 + 1)
                      for i, (city, _, _, country) in enumerate(CITIES[:8], start=1)])
    employees = []
    for i in range(1, 41):
        first, last = person(i + 3)
        position = rng.randrange(1, len(positions) + 1)
        employees.append((i, first, last, f"{first}.{last}{i}@retail.example".lower(), _day(rng.randrange(60, 3000)),
                          position, positions[position - 1][1], None if i <= 4 else rng.randrange(1, 5),
                          rng.randrange(1, 9)))
    insert("employees", employees)
    insert("store_staff", sorted({(e[8], e[0], "manager" if e[5] == 2 else "staff") for e in employees}))
    payroll = []
    for i in range(1, 121):
        month, gross = (i - 1) // 40, _money(rng, 2500, 7000)
        payroll.append((i, (i - 1) % 40 + 1, _day(30 * month + 29), _day(30 * month), gross, round(gross * 0.28, 2),
                        round(gross * 0.72, 2)))
    insert("payroll", payroll)
    leaves = []
    for i in range(1, 31):
        start = rng.randrange(-30, 90)
        leaves.append((i, rng.randrange(5, 41), _day(start), _day(start - rng.randrange(1, 10)),
                       rng.choice(("vacation", "sick", "parental", "unpaid")),
                       rng.choice(("approved", "pending", "rejected")), rng.randrange(1, 5)))
    insert("leave_requests", leaves)
    insert("performance_reviews", [(i, i + 4, rng.randrange(1, 5), _day(rng.randrange(10, 200)), rng.randrange(1, 6),
                                    rng.choice(("Exceeds expectations.", "Solid quarter.", "Needs coaching on KPIs.")))
                                   for i in range(1, 31)])
    insert("carriers", [(1, "DHL", "express", "https://dhl.example/track/"), (2, "UPS", "standard",
                        "https://ups.example/track/"), (3, "Hermes", "economy", "https://hermes.example/t/"),
                        (4, "FedEx", "express", "https://fedex.example/track/")])
    insert("inventory_levels", [(w, p[0], rng.randrange(0, 400), 40, _day(rng.randrange(0, 14)))
                                for w in range(1, 6) for p in products if rng.random() < 0.6])
    insert("shipments", [(i, t[0], rng.randrange(1, 5), rng.randrange(1, 6), t[3],
                          None if t[3] > _day(3) else _day(_age(t[3]) - 3),
                          "in transit" if t[3] > _day(3) else "delivered")
                         for i, t in enumerate(transactions[::3], start=1)])
    insert("purchase_orders", [(i, rng.randrange(1, 13), rng.randrange(1, 6), _day(d := rng.randrange(5, 150)),
                                _day(d - 14), rng.choice(("received", "open", "cancelled"))) for i in range(1, 41)])
    insert("purchase_order_lines", [(po, line, rng.randrange(1, len(products) + 1), rng.randrange(20, 300),
                                     _money(rng, 4, 90))
                                    for po in range(1, 41) for line in range(1, rng.randrange(2, 5))])
    campaigns = [("Spring Refresh", "email"), ("Summer Outfit Sale", "social"), ("Back to Trails", "search"),
                 ("Loyalty Double Points", "email"), ("Midsummer Flash Sale", "display")]
    insert("campaigns", [(i, name, channel, _day(120 - 25 * i), _day(max(0, 90 - 25 * i)), _money(rng, 5000, 40000))
                         for i, (name, channel) in enumerate(campaigns, start=1)])
    insert("ad_spend", [(i, rng.randrange(1, 6), _day(rng.randrange(0, 120)), rng.choice(("google", "meta", "tiktok")),
                         _money(rng, 50, 900), rng.randrange(1000, 90000), rng.randrange(10, 2000))
                        for i in range(1, 61)])
    insert("email_events", [(i, rng.choice((1, 4)), rng.randrange(1, 81), rng.choice(("sent", "open", "click")),
                             _time(rng, rng.randrange(0, 120))) for i in range(1, 121)])
    insert("coupons", [(i, f"SAVE{5 * (i + 1)}", (i - 1) % 5 + 1, 5 * (i + 1), _day(100 - 10 * i), _day(60 - 10 * i))
                       for i in range(1, 7)])
    insert("coupon_redemptions", [(i, rng.randrange(1, 7), t[0], t[3])
                                  for i, t in enumerate(rng.sample(transactions, 40), start=1)])
    insert("loyalty_accounts", [(i, c, rng.choice(("bronze", "silver", "gold")), rng.randrange(0, 5000),
                                 _day(rng.randrange(30, 900))) for i, c in enumerate(range(1, 81, 2), start=1)])
    insert("web_sessions", [(i, rng.randrange(1, 81), _time(rng, rng.randrange(0, 60)),
                             rng.choice(("mobile", "desktop", "tablet")), rng.randrange(1, 30)) for i in range(1, 101)])
    accounts = [("4000", "Revenue", "income"), ("5000", "Cost of Goods Sold", "expense"),
                ("6100", "Travel", "expense"), ("6200", "Marketing", "expense"), ("6300", "Salaries", "expense"),
                ("1000", "Cash", "asset")]
    insert("gl_accounts", [(i, *a) for i, a in enumerate(accounts, start=1)])
    insert("invoices", [(i, rng.randrange(1, 13), i, _day(d := rng.randrange(5, 140)), _day(d - 30),
                         _money(rng, 800, 25000), rng.choice(("paid", "open", "overdue"))) for i in range(1, 41)])
    insert("supplier_payments", [(i, i, _day(rng.randrange(0, 100)), _money(rng, 800, 25000),
                                  rng.choice(("wire", "sepa", "card"))) for i in range(1, 31)])
    insert("expenses", [(i, rng.randrange(1, 41), rng.choice((3, 4)), _day(rng.randrange(0, 120)),
                         _money(rng, 20, 1500), rng.choice(("Train to Munich", "Trade fair booth", "Client dinner",
                                                            "Ad agency retainer"))) for i in range(1, 41)])
    insert("budgets", [(i, d, g, 2025, _money(rng, 20000, 900000))
                       for i, (d, g) in enumerate(((d, g) for d in range(1, 8) for g in (2, 4, 5)), start=1)])
    subjects = ("Parcel not delivered", "Wrong size received", "Refund status", "Coupon code not working",
                "Damaged item", "Change delivery address")
    insert("support_tickets", [(i, rng.randrange(1, 81), rng.randrange(30, 41), _time(rng, d := rng.randrange(1, 90)),
                                None if d < 5 else _time(rng, d - 2), rng.choice(("low", "normal", "high")),
                                rng.choice(subjects), "open" if d < 5 else "closed") for i in range(1, 51)])
    insert("ticket_comments", [(i, rng.randrange(1, 51), rng.randrange(30, 41), _time(rng, rng.randrange(0, 90)),
                                rng.choice(("Asked the carrier for an update.", "Refund issued.", "Sent a new label.")))
                               for i in range(1, 81)])
    insert("product_reviews", [(i, p, rng.randrange(1, 81), rng.randrange(1, 6),
                                rng.choice(("Great fit and quality.", "Runs small.", "Perfect for summer.",
                                            "Colour faded after washing.")), _day(rng.randrange(0, 120)))
                               for i, p in enumerate((rng.randrange(1, len(products) + 1) for _ in range(70)),
                                                     start=1)])
    insert("returns", [(i, t[0], _day(max(0, _age(t[3]) - 5)),
                        rng.choice(("too small", "too large", "damaged", "changed my mind")), t[5])
                       for i, t in enumerate(rng.sample(transactions, 25), start=1)])
    db.commit()
    recent = db.execute("SELECT COUNT(*) FROM transactions JOIN products USING (product_id) "
                        "WHERE category = 'Summer Apparel' AND transaction_date > date(?, '-7 days')",
                        (REFERENCE_DATE.isoformat(),)).fetchone()[0]
    if not recent:
        raise SystemExit("no summer apparel sold in the last week: the demo question would have no answer")
    db.execute("VACUUM")
    db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", nargs="?", type=Path, default=DEFAULT_OUT, help="Where to write the database.")
    build(parser.parse_args().out)


if __name__ == "__main__":
    main()
