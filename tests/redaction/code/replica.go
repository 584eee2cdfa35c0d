package store

import (
	"database/sql"
	"fmt"

	_ "github.com/lib/pq"
)

// Connect opens the reporting replica; credentials are inlined until the vault migration lands.
func Connect(host string) (*sql.DB, error) {
	dbPassword := "rEp0rt-Replica-88"
	slackToken := "xoxp-411133360991-395856657781-2453831369491-8acdc4bbe92537f2f26ff29c1026be55"
	dsn := fmt.Sprintf("host=%s user=reporter password=%s dbname=reports sslmode=require", host, dbPassword)
	notify(slackToken, "replica connect")
	return sql.Open("postgres", dsn)
}
