#pragma once
// Runs the independent PyTorch reference (tests/reference/embervlm_ref.py) with Debian's
// python3-torch and returns its JSON output.
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QStringList>
#include <QtTest>

inline QString referenceScript()
{
    return QStringLiteral(EMBERVLM_SOURCE_DIR "/tests/reference/embervlm_ref.py");
}

// Runs the reference with arguments; fails the current test (returns false) with its stderr.
inline bool runReference(const QStringList& args, QByteArray* out)
{
    QProcess p;
    p.setProgram(QStringLiteral("/usr/bin/python3"));
    p.setArguments(QStringList{referenceScript()} + args);
    p.start();
    if (!p.waitForFinished(300000) || p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
        qWarning().noquote() << "reference failed:" << args.join(' ') << "\n" << p.readAllStandardError();
        return false;
    }
    *out = p.readAllStandardOutput();
    return true;
}
