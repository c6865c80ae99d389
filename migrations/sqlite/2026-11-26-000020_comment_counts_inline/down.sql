-- PostgreSQL only: SQLite's counting triggers are row triggers, compiled once.
SELECT 1;
