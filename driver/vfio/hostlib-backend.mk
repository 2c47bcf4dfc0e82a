# driver/vfio/hostlib-backend.mk — included by hostlib/part.mk: builds the
# `vfio:` backend (hl_vfio.c and the VFIO library under it) into libipsecha.
HOSTLIB_BACKEND_SRCS += driver/vfio/hl_vfio.c driver/vfio/vfio.c driver/vfio/vfio_dev.c \
                        driver/vfio/vfio_dma.c driver/vfio/vfio_sys.c \
                        driver/vfio/vfio_card.c
HOSTLIB_BACKEND_DEFS += -DIPSECHA_HAVE_VFIO -I$(TOP)/driver/vfio
# `ipsecha card` reads the backend's one-line diagnosis (hl_vfio.h).
CLI_CFLAGS += -DIPSECHA_HAVE_VFIO -I$(TOP)/driver/vfio
