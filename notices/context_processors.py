def unread_notices(request):
    return {}
