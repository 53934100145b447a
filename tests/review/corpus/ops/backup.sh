#!/bin/bash
set -e
PGPASSWORD="Bk7#Lq2m9Zx" pg_dump -h 10.0.5.12 shop > /backups/shop.sql
chmod 777 /backups/shop.sql
aws s3 cp /backups/shop.sql s3://acme-backups/ --no-verify-ssl
