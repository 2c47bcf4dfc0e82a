/* hl_vfio.h — the libipsecha `vfio:` backend (hl_vfio.c), as far as
 * programs linking libipsecha statically (tests, bring-up tools) see it.
 *
 * URIs:  vfio:0000:01:00.0           a PCI function bound to vfio-pci
 *        vfio:01:00.0                 (domain 0000)
 *        vfio:/dev/vfio/devices/vfio0 a VFIO device cdev (iommufd)
 *        ...?mode=legacy|cdev|auto    force the kernel interface
 * Without ?mode=, $IPSECHA_VFIO_MODE chooses; default auto (cdev when the
 * kernel offers it, else legacy container/group).
 *
 * Diagnostics: libipsecha reports errors as negative errno values. When
 * opening a vfio: device fails, the backend also prints the precise reason
 * on stderr, one line ("ipsecha: vfio: 0000:01:00.0 is bound to driver
 * e1000e, ..."), unless $IPSECHA_VFIO_QUIET is set; programs read it with
 * ipsecha_vfio_backend_diag(). The errno follows ipsecha.h: -ENOENT no
 * such device, -ENODEV not a card (no identity, wrong IDs, BAR missing or
 * too small), -EPROTO card ABI refused, -EACCES/-EPERM permission, -EBUSY
 * in use, bound elsewhere or group not viable, -EINVAL bad address. */
#ifndef IPSECHA_HL_VFIO_H
#define IPSECHA_HL_VFIO_H

#include "ipsecha_vfio.h"

/* The diagnosis of this thread's last failed vfio: open (cause OK when the
 * last open succeeded). */
const struct ipsecha_vfio_diag *ipsecha_vfio_backend_diag(void);

/* Test hook: the system-call table the backend opens devices with (NULL:
 * the real one). Not thread-safe; set it before opening. */
void ipsecha_vfio_backend_set_sys(const struct ipsecha_vfio_sys *sys);

#endif
