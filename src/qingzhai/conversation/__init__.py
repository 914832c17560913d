"""Collection conversations: emotion and intent of debtor speech, the conduct guard, the collection
bot, encrypted recordings with retention, and conduct incidents of human collectors."""
