DROP TABLE page_retirements;
