#include "actors/app/bootstrap.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "actors/views.hpp"
#include "policy/ids.hpp"
#include "policy/time.hpp"
#include "policy/token_format.hpp"

namespace sluice {

namespace {

std::uint64_t unused_id(const store::meta_store& meta) {
  for (;;) {
    auto id = new_id(now_us() / 1000);
    if (!meta.id_taken(id))
      return id;
  }
}

} // namespace

new_superuser create_superuser(store::meta_store& meta, const pepper& p, std::string_view name) {
  auto now = now_us();
  store::user_record user;
  user.id = unused_id(meta);
  user.name = std::string{name};
  user.role = user_role::superuser;
  user.active = true;
  user.created_at_us = now;

  new_superuser out;
  out.secret = generate_secret(token_kind::user);
  store::token_record token;
  token.id = unused_id(meta);
  token.kind = token_kind::user;
  token.user_id = user.id;
  token.name = "superuser token";
  token.hash = hash_secret(p, out.secret);
  token.hint = display_hint(out.secret);
  token.status = token_status::active;
  token.created_at_us = now;
  token.created_by = "sluiced";
  token.issued_to = "sluiced";

  // Made by sluiced itself (first start, or `sluiced create-superuser`).
  store::audit_event ev;
  ev.at_us = now;
  ev.actor_kind = "sluiced";
  ev.action = "superuser.create";
  ev.user_id = user.id;
  ev.token_id = token.id;
  ev.after_json = audit_view(user);
  if (auto ec = meta.write([&](store::meta_writer& w) {
        w.put(user);
        w.put(token);
        w.append(ev);
      }))
    throw std::system_error(ec, "cannot store the superuser");
  out.user_id = user.id;
  out.token_id = token.id;
  return out;
}

void write_secret_file(const std::string& path, std::string_view secret) {
  // Replace, never append: unlink first so the new file gets mode 0600 even
  // when an older one was wider.
  ::unlink(path.c_str());
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    throw std::system_error(errno, std::generic_category(), "cannot create " + path);
  std::string line{secret};
  line.push_back('\n');
  auto rc = ::write(fd, line.data(), line.size());
  auto err = errno;
  ::fsync(fd);
  ::close(fd);
  if (rc != static_cast<ssize_t>(line.size()))
    throw std::system_error(err, std::generic_category(), "cannot write " + path);
}

} // namespace sluice
