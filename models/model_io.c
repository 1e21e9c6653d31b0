/* model_io.c - checked regular-file reads shared by the loaders (see model_io.h). */
#include "model_io.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ss_alloc.h"

ss_status model_io_open(const char *path, uint64_t max_bytes, model_io_file *f, char *err,
                        size_t errlen)
{
    f->fd = -1;
    f->size_bytes = 0;
    /* O_NONBLOCK: opening a FIFO must not hang waiting for a writer; the
     * S_ISREG check below then rejects it. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return ss_err(err, errlen, SS_ENOENT, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return ss_err(err, errlen, SS_EIO, "%s: fstat failed: %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return ss_err(err, errlen, SS_EINVAL, "%s: expected a regular file", path);
    }
    if (st.st_size < 0 || (uint64_t)st.st_size > max_bytes) {
        close(fd);
        return ss_err(err, errlen, SS_ERANGE, "%s: file of %lld bytes exceeds the cap of %llu",
                      path, (long long)st.st_size, (unsigned long long)max_bytes);
    }
    f->fd = fd;
    f->size_bytes = (uint64_t)st.st_size;
    return SS_OK;
}

ss_status model_io_read_at(const model_io_file *f, const char *path, uint64_t off, void *buf,
                           size_t n, char *err, size_t errlen)
{
    unsigned char *p = buf;
    size_t done = 0;
    while (done < n) {
        ssize_t r = pread(f->fd, p + done, n - done, (off_t)(off + done));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return ss_err(err, errlen, SS_EIO,
                          "%s: byte %llu: short read (%zu of %zu bytes; file changed size?)",
                          path, (unsigned long long)(off + done), done, n);
        done += (size_t)r;
    }
    return SS_OK;
}

ss_status model_io_read_all(const model_io_file *f, const char *path, unsigned char **out,
                            char *err, size_t errlen)
{
    *out = NULL;
    if (f->size_bytes >= SIZE_MAX)
        return ss_err(err, errlen, SS_ERANGE, "%s: too large for memory", path);
    unsigned char *buf = ss_malloc((size_t)f->size_bytes + 1);
    if (!buf)
        return ss_err(err, errlen, SS_ENOMEM, "%s: cannot allocate %llu bytes", path,
                      (unsigned long long)f->size_bytes);
    ss_status s = model_io_read_at(f, path, 0, buf, (size_t)f->size_bytes, err, errlen);
    if (s != SS_OK) {
        ss_free(buf);
        return s;
    }
    /* a file that grew since the fstat would be silently cut: refuse it */
    unsigned char extra;
    ssize_t r;
    do
        r = pread(f->fd, &extra, 1, (off_t)f->size_bytes);
    while (r < 0 && errno == EINTR);
    if (r != 0) {
        ss_free(buf);
        return ss_err(err, errlen, SS_EIO, "%s: byte %llu: file changed size while being read",
                      path, (unsigned long long)f->size_bytes);
    }
    buf[f->size_bytes] = 0;
    *out = buf;
    return SS_OK;
}

void model_io_close(model_io_file *f)
{
    if (f && f->fd >= 0) {
        close(f->fd);
        f->fd = -1;
    }
}
