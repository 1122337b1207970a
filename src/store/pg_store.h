// The PostgreSQL backend of Store, for several SkinScan instances sharing one database.
// One libpq connection per store, guarded by a mutex (a lost connection is re-established
// by the next call); transactions run at READ COMMITTED, rows that two instances may change
// at once are locked (SELECT ... FOR UPDATE), and senders claim outbox rows with FOR UPDATE
// SKIP LOCKED. Schema and behaviour equal the SQLite backend's. See docs/storage.md.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "store/pg_db.h"
#include "store/store.h"

namespace skinscan::store {

class PgStore final : public Store {
 public:
  // Connects to `url` (postgresql://user:password@host:port/db?...) and applies pending
  // migrations under an advisory lock.
  explicit PgStore(const std::string& url);
  ~PgStore() override;
  PgStore(const PgStore&) = delete;
  PgStore& operator=(const PgStore&) = delete;

  int schema_version() override;
  const std::string& path() const override { return path_; }
  std::string backend() const override { return "postgresql"; }
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
  std::string path_;  // the URL without password
  std::unique_ptr<PgConn> c_;
  std::mutex mu_;
};

}  // namespace skinscan::store
