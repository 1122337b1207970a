// The SQLite backend of Store: one database file (WAL journal, foreign keys on, synchronous
// FULL), one connection shared by every thread and guarded by a mutex; writes take the lock
// at BEGIN (BEGIN IMMEDIATE) and a second connection waits up to a busy timeout. See
// docs/storage.md.
#pragma once

#include <mutex>
#include <string>

#include "store/store.h"

struct sqlite3;

namespace skinscan::store {

class SqliteStore final : public Store {
 public:
  // Opens (creating if needed, mode 0600) the database file and applies pending migrations.
  explicit SqliteStore(const std::string& path);
  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  int schema_version() override;
  const std::string& path() const override { return path_; }
  std::string backend() const override { return "sqlite"; }
  bool ready() override;

  ScreeningRow create_screening(const NewScreening& s, notify::Status initial,
                                const std::optional<Blob>& photo = std::nullopt) override;
  std::optional<ScreeningRow> get_screening(std::int64_t id) override;
  Page list_screenings(const std::string& query, int page, int page_size = 20,
                       const ListFilter& filter = {}) override;
  std::vector<NotificationRow> list_notifications(std::optional<notify::Status> status) override;
  Counts counts() override;

  void put_blob(const Blob& blob) override;
  std::optional<Blob> get_blob(const std::string& sha256) override;
  void put_heatmap(const std::string& image_sha256, const std::string& label,
                   const Blob& png) override;
  std::optional<Blob> get_heatmap(const std::string& image_sha256,
                                  const std::string& label) override;

  void create_session(const std::string& key_hash, notify::Clock::time_point expires) override;
  bool session_valid(const std::string& key_hash, notify::Clock::time_point now) override;
  void delete_session(const std::string& key_hash) override;

  std::vector<notify::OutboxMessage> claim_due(notify::Clock::time_point now, int limit,
                                               std::chrono::milliseconds lease) override;
  std::optional<notify::Clock::time_point> next_due() override;
  void mark_accepted(std::int64_t id, const std::string& sid, notify::Status status) override;
  void mark_retry(std::int64_t id, notify::Clock::time_point next_attempt,
                  const std::string& reason) override;
  void mark_failed(std::int64_t id, const std::string& code, const std::string& message) override;
  bool apply_callback(const std::string& sid, notify::Status status, const std::string& error_code,
                      const std::string& error_message) override;
  int activate_unconfigured(bool expire) override;
  int requeue_screening(std::int64_t screening_id) override;

 private:
  std::string path_;
  sqlite3* db_ = nullptr;
  mutable std::mutex mu_;
};

}  // namespace skinscan::store
