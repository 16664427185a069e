#pragma once

#include <caf/atom.hpp>

namespace sluice {

// Message tags of the actor interfaces (CAF 0.17: at most 10 characters).
// CAF predefines get_atom, put_atom, ok_atom, add_atom and others; these are
// Sluice's own.
using ingest_atom = caf::atom_constant<caf::atom("ingest")>;
using info_atom = caf::atom_constant<caf::atom("info")>;
using update_atom = caf::atom_constant<caf::atom("update")>;
using committed_atom = caf::atom_constant<caf::atom("committed")>;
using tick_atom = caf::atom_constant<caf::atom("tick")>;
using write_atom = caf::atom_constant<caf::atom("write")>;
using flush_atom = caf::atom_constant<caf::atom("flush")>;
using sync_atom = caf::atom_constant<caf::atom("sync")>;
using barrier_atom = caf::atom_constant<caf::atom("barrier")>;
using sweep_atom = caf::atom_constant<caf::atom("sweep")>;
using probe_atom = caf::atom_constant<caf::atom("probe")>;
using apply_atom = caf::atom_constant<caf::atom("apply")>;
using written_atom = caf::atom_constant<caf::atom("written")>;
using reserve_atom = caf::atom_constant<caf::atom("reserve")>;
using release_atom = caf::atom_constant<caf::atom("release")>;
using admin_atom = caf::atom_constant<caf::atom("admin")>;
using decided_atom = caf::atom_constant<caf::atom("decided")>;
using refused_atom = caf::atom_constant<caf::atom("refused")>;
using user_atom = caf::atom_constant<caf::atom("user")>;

} // namespace sluice
