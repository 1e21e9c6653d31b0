/* ana_file.c - whole-or-nothing output files (ana_file_int.h) and the
 * escaping of text into JSON strings and XML. */
#include "ana_file_int.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

ss_status ana_file_open(ana_file *af, const char *target, char *err, size_t errlen)
{
    af->f = NULL;
    af->target = target;
    int n = snprintf(af->tmp, sizeof af->tmp, "%s.tmp.XXXXXX", target);
    if (n < 0 || (size_t)n >= sizeof af->tmp)
        return ss_err(err, errlen, SS_EIO, "%s: file name too long", target);
    int fd = mkstemp(af->tmp);
    if (fd < 0)
        return ss_err(err, errlen, SS_EIO, "%s: cannot create: %s", target, strerror(errno));
    /* mkstemp makes it 0600; an output file is as readable as any other */
    (void)fchmod(fd, 0644);
    af->f = fdopen(fd, "w");
    if (!af->f) {
        close(fd);
        unlink(af->tmp);
        return ss_err(err, errlen, SS_EIO, "%s: cannot create: %s", target, strerror(errno));
    }
    return SS_OK;
}

ss_status ana_file_commit(ana_file *af, char *err, size_t errlen)
{
    if (!af->f)
        return ss_err(err, errlen, SS_EIO, "%s: not open", af->target);
    int bad = fflush(af->f) != 0 || ferror(af->f) || fsync(fileno(af->f)) != 0;
    int e = errno;
    bad |= fclose(af->f) != 0;
    af->f = NULL;
    if (!bad && rename(af->tmp, af->target) == 0)
        return SS_OK;
    if (!bad)
        e = errno;
    unlink(af->tmp);
    return ss_err(err, errlen, SS_EIO, "%s: cannot write: %s", af->target, strerror(e));
}

void ana_file_abort(ana_file *af)
{
    if (!af || !af->f)
        return;
    fclose(af->f);
    af->f = NULL;
    unlink(af->tmp);
}

void ana_file_json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f); /* UTF-8 passes through: stored strings are valid UTF-8 */
    }
    fputc('"', f);
}

void ana_file_xml_text(FILE *f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&apos;", f); break;
        default:
            if (*p < 0x20 && *p != '\t' && *p != '\n')
                fputc('?', f); /* not allowed in XML 1.0 */
            else
                fputc(*p, f);
        }
    }
}
