from django.shortcuts import render


def home(request):
    return render(request, "social/landing.html")


def friends(request):
    return render(request, "social/landing.html")
